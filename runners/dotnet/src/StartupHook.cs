// wrapgen's .NET startup hook runner. The wrapper lists this one assembly in DOTNET_STARTUP_HOOKS (first,
// once) and the configured hooks in WRAPGEN_DOTNET_HOOKS; it runs them in order, each isolated (a failing
// hook prints one stderr line and the function still starts, unless it is critical) and timed. Listed
// directly in DOTNET_STARTUP_HOOKS, a hook that is missing or throws would end the process before Main.
//
// The list comes in the environment, not in a file beside the runner: .NET's first file read and UTF-8
// decode cost about 3 ms of every cold start (measured), reading a variable about 0.04 ms.
//
// Built for net8.0 by runners/dotnet/build.sh into WrapgenStartupHooks.dll, which is committed, so that
// building a layer needs no .NET SDK.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

// The runtime calls StartupHook.Initialize() of each listed assembly: a type of that name, in no namespace.
internal static class StartupHook
{
    /// <summary>Applied once per process, even when the runner is listed twice.</summary>
    private static bool started;

    /// <summary>One hook a line: critical|isolated TAB file (relative to this assembly's folder) TAB name TAB options.</summary>
    private const string ListVariable = "WRAPGEN_DOTNET_HOOKS";

    /// <summary>The key under which a hook finds its options (JSON text) in AppContext while it runs.</summary>
    private const string OptionsKey = "wrapgen.hook.options";

    public static void Initialize()
    {
        if (started) return;
        started = true;
        string? list = Environment.GetEnvironmentVariable(ListVariable);
        if (list == null)
        {
            Say("wrapgen: " + ListVariable + " is not set (the wrapper sets it); no startup hooks run");
            return;
        }
        string here = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location) ?? ".";
        string[] lines = list.Split('\n');
        string listed = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS") ?? "";
        bool timed = Environment.GetEnvironmentVariable("WRAPGEN_TIMING") == "1";
        string[] names = new string[lines.Length];
        long[] ticks = new long[lines.Length];
        string[] outcomes = new string[lines.Length];
        int count = 0;
        foreach (string line in lines)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] f = line.Split('\t');
            if (f.Length < 4) continue;
            long t0 = Stopwatch.GetTimestamp();
            names[count] = f[2];
            // The function lists this hook itself: the runtime runs it there, and never twice.
            string file = Path.Combine(here, f[1]);
            outcomes[count] = ListedByFunction(listed, file) ? "\"listed by the function\"" : RunIsolated(file, f[2], f[3], f[0] == "critical");
            ticks[count++] = Stopwatch.GetTimestamp() - t0;
        }
        if (timed) WriteTimings(names, ticks, outcomes, count);
    }

    // What every start runs is kept apart from what only a failure or WRAPGEN_TIMING needs: the JIT
    // compiles a method whole, loading every assembly and type it names (System.Console, number
    // formatting), so those live in methods of their own, compiled only when they run. For the same
    // reason a missing hook is left to LoadFrom to find (no File.Exists on every start).

    /// <summary>Runs one hook; "true", or "false" after one stderr line (and the end of the process when critical).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string RunIsolated(string file, string name, string options, bool critical)
    {
        try
        {
            AppContext.SetData(OptionsKey, options.Length == 0 ? "{}" : options);
            Run(file);
            return "true";
        }
        catch (Exception e)
        {
            Failed(name, e, critical);
            return "false";
        }
        finally
        {
            AppContext.SetData(OptionsKey, null);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Failed(string name, Exception e, bool critical)
    {
        Exception cause = e is TargetInvocationException && e.InnerException != null ? e.InnerException : e;
        // A hook file missing from the layer names its path; a dependency of a hook, its assembly name.
        string message = cause is FileNotFoundException missing && missing.FileName != null && Path.IsPathRooted(missing.FileName) && !File.Exists(missing.FileName)
            ? missing.FileName + " is missing from the layer"
            : FirstLine(cause.Message);
        Say("wrapgen: startup hook " + name + " failed: " + cause.GetType().FullName + (message.Length == 0 ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
        if (critical)
        {
            Console.Error.Flush();
            Environment.Exit(1);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Say(string line) => Console.Error.WriteLine(line);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteTimings(string[] names, long[] ticks, string[] outcomes, int count)
    {
        var b = new StringBuilder("{\"wrapgen\":\"hooks\",\"runtime\":\"dotnet\",\"hooks\":[");
        for (int i = 0; i < count; i++)
        {
            double ms = Math.Round(ticks[i] * 1000.0 / Stopwatch.Frequency, 3);
            b.Append(i == 0 ? "" : ",").Append("{\"name\":").Append(Json(names[i])).Append(",\"ms\":").Append(ms.ToString(CultureInfo.InvariantCulture)).Append(",\"ok\":").Append(outcomes[i]).Append('}');
        }
        Say(b.Append("]}").ToString());
    }

    /// <summary>What the runtime does for a listed hook: load the assembly, call StartupHook.Initialize().</summary>
    private static void Run(string file)
    {
        // LoadFrom, so that the hook's own dependencies are found beside it.
        Assembly a = Assembly.LoadFrom(file);
        Type type = a.GetType("StartupHook", false) ?? throw new MissingMethodException(Path.GetFileName(file) + " has no type StartupHook (in no namespace): not a startup hook");
        MethodInfo? init = type.GetMethod("Initialize", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, null, Type.EmptyTypes, null);
        if (init == null || init.ReturnType != typeof(void)) throw new MissingMethodException(Path.GetFileName(file) + ": StartupHook has no static void Initialize()");
        init.Invoke(null, null);
    }

    /// <summary>
    /// Whether DOTNET_STARTUP_HOOKS (besides this runner) names the same assembly as the hook file: .NET
    /// would then load that name twice, and run the hook twice or refuse the second. Only read when the
    /// function lists hooks of its own, so it costs nothing otherwise.
    /// </summary>
    private static bool ListedByFunction(string listed, string file)
    {
        if (listed.IndexOf(Path.PathSeparator) < 0) return false;
        return ListedByFunctionSlow(listed, file);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ListedByFunctionSlow(string listed, string file)
    {
        string? ours = AssemblyNameOf(file);
        if (ours == null) return false;
        foreach (string entry in listed.Split(Path.PathSeparator))
        {
            if (entry.Length == 0 || entry.EndsWith("WrapgenStartupHooks.dll", StringComparison.Ordinal)) continue;
            // An entry is a path (.NET loads the file) or an assembly name.
            string? other = entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? AssemblyNameOf(entry) ?? Path.GetFileNameWithoutExtension(entry) : entry;
            if (string.Equals(other, ours, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static string? AssemblyNameOf(string file)
    {
        try
        {
            return AssemblyName.GetAssemblyName(file).Name;
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static string FirstLine(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        int n = s.IndexOf('\n');
        return (n < 0 ? s : s.Substring(0, n)).TrimEnd('\r');
    }

    private static string Json(string s)
    {
        var b = new StringBuilder("\"");
        foreach (char ch in s)
        {
            if (ch == '"' || ch == '\\') b.Append('\\').Append(ch);
            else if (ch < 0x20) b.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
            else b.Append(ch);
        }
        return b.Append('"').ToString();
    }
}
