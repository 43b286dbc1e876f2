// wrapgen's .NET startup hook runner. The wrapper lists this one assembly in DOTNET_STARTUP_HOOKS (first,
// once); it runs the configured startup hooks listed in hooks.txt beside it, in order, each isolated (a
// failing hook prints one stderr line and the function still starts, unless it is critical) and timed.
// Listed directly in DOTNET_STARTUP_HOOKS, a hook that throws would end the process before Main.
//
// Built for net8.0 by hooks/dotnet/build.sh into WrapgenStartupHooks.dll, which is committed, so that
// building a layer needs no .NET SDK.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;

// The runtime calls StartupHook.Initialize() of each listed assembly: a type of that name, in no namespace.
internal static class StartupHook
{
    /// <summary>Applied once per process, even when the runner is listed twice.</summary>
    private static bool started;

    /// <summary>The key under which a hook finds its options (JSON text) in AppContext while it runs.</summary>
    private const string OptionsKey = "wrapgen.hook.options";

    public static void Initialize()
    {
        if (started) return;
        started = true;
        string here = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location) ?? ".";
        string list = Path.Combine(here, "hooks.txt");
        string[] lines;
        try
        {
            lines = File.ReadAllText(list, Encoding.UTF8).Split('\n');
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("wrapgen: cannot read " + list + " (" + FirstLine(e.Message) + "); no startup hooks run");
            return;
        }
        string listed = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS") ?? "";
        var timings = new StringBuilder();
        foreach (string line in lines)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] f = line.Split('\t');
            if (f.Length < 4) continue;
            bool critical = f[0] == "critical";
            string file = Path.Combine(here, f[1]);
            string name = f[2];
            string options = f[3].Length == 0 ? "{}" : f[3];
            long t0 = Stopwatch.GetTimestamp();
            string outcome = "true";
            if (ListedByFunction(listed, name))
            {
                // The function lists this hook itself: the runtime runs it there, and never twice.
                outcome = "\"listed by the function\"";
            }
            else
            {
                try
                {
                    AppContext.SetData(OptionsKey, options);
                    Run(file);
                }
                catch (Exception e)
                {
                    outcome = "false";
                    Exception cause = e is TargetInvocationException && e.InnerException != null ? e.InnerException : e;
                    string message = FirstLine(cause.Message);
                    Console.Error.WriteLine("wrapgen: startup hook " + name + " failed: " + cause.GetType().FullName + (message.Length == 0 ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
                    if (critical)
                    {
                        Console.Error.Flush();
                        Environment.Exit(1);
                    }
                }
                finally
                {
                    AppContext.SetData(OptionsKey, null);
                }
            }
            double ms = Math.Round((Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency, 3);
            timings.Append(timings.Length == 0 ? "" : ",").Append("{\"name\":").Append(Json(name)).Append(",\"ms\":").Append(ms.ToString(CultureInfo.InvariantCulture)).Append(",\"ok\":").Append(outcome).Append('}');
        }
        if (Environment.GetEnvironmentVariable("WRAPGEN_TIMING") == "1")
            Console.Error.WriteLine("{\"wrapgen\":\"hooks\",\"runtime\":\"dotnet\",\"hooks\":[" + timings + "]}");
    }

    /// <summary>What the runtime does for a listed hook: load the assembly, call StartupHook.Initialize().</summary>
    private static void Run(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException(file + " is missing from the layer");
        // LoadFrom, so that the hook's own dependencies are found beside it.
        Assembly a = Assembly.LoadFrom(file);
        Type type = a.GetType("StartupHook", false) ?? throw new MissingMethodException(Path.GetFileName(file) + " has no type StartupHook (in no namespace): not a startup hook");
        MethodInfo? init = type.GetMethod("Initialize", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, null, Type.EmptyTypes, null);
        if (init == null || init.ReturnType != typeof(void)) throw new MissingMethodException(Path.GetFileName(file) + ": StartupHook has no static void Initialize()");
        init.Invoke(null, null);
    }

    /// <summary>Whether DOTNET_STARTUP_HOOKS names the same assembly (by file or assembly name).</summary>
    private static bool ListedByFunction(string listed, string name)
    {
        if (listed.Length == 0) return false;
        string simple = Path.GetFileNameWithoutExtension(name);
        foreach (string entry in listed.Split(Path.PathSeparator))
        {
            if (entry.Length == 0 || entry.EndsWith("WrapgenStartupHooks.dll", StringComparison.Ordinal)) continue;
            string other = entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(entry) : entry;
            if (string.Equals(other, simple, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
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
