using System.Diagnostics;

namespace Orchestrator.Recipes;

/// <summary>
/// Finds the user's call site for builder methods that cannot take caller-info parameters
/// (a <c>params</c> array must come last): the first stack frame outside this assembly that has a file.
/// Scripts are compiled with debug information, so their frames carry file and line.
/// </summary>
internal static class CallSite
{
    public static SourceLocation Capture(string member)
    {
        var trace = new StackTrace(1, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType?.Assembly == typeof(CallSite).Assembly) continue;
            var file = frame.GetFileName();
            if (!string.IsNullOrEmpty(file)) return new SourceLocation(file, frame.GetFileLineNumber(), member);
        }
        return SourceLocation.Unknown with { Member = member };
    }

    public static SourceLocation At(string file, int line, string member) =>
        string.IsNullOrEmpty(file) ? Capture(member) : new SourceLocation(file, line, member);
}
