// wrapgen's .NET probe: runs in place of the runtime's entry assembly and reports what .NET saw, on the
// stderr line verify reads ("@wrapgen-probe <json>"). Built with the installed SDK (src/verify/dotnet-build.ts).
public static class Program
{
    public static int Main(string[] args)
    {
        var report = new System.Collections.Generic.Dictionary<string, object?>
        {
            ["pid"] = System.Environment.ProcessId,
            ["argv"] = args,
            ["startupHooks"] = System.Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS"),
            ["runtime"] = System.Environment.Version.ToString(),
        };
        System.Console.Error.WriteLine("@wrapgen-probe " + System.Text.Json.JsonSerializer.Serialize(report));
        return 0;
    }
}
