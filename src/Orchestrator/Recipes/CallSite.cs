using System.ComponentModel;
using System.Diagnostics;

namespace Orchestrator.Recipes;

/// <summary>
/// Finds the user's call site for builder methods that cannot take caller-info parameters
/// (a <c>params</c> array must come last). The script host annotates such calls with
/// <see cref="At{T}"/>, which gives the exact line; otherwise the first stack frame outside this
/// assembly that has a file is used, which knows only where the statement starts.
/// </summary>
public static class CallSite
{
    [ThreadStatic]
    private static SourceLocation? s_pending;

    /// <summary>Records where the next call of <paramref name="member"/> on <paramref name="receiver"/> was written. Emitted by the script host.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static T At<T>(T receiver, string file, int line, string member)
    {
        s_pending = new SourceLocation(file, line, member);
        return receiver;
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "Only a frame's assembly is compared. Where methods have no metadata (the executor's native build), GetMethod gives null, and such frames have no file name either: the location stays unknown.")]
    internal static SourceLocation Capture(string member)
    {
        if (s_pending is { } pending && pending.Member == member)
        {
            s_pending = null;
            return pending;
        }
        var trace = new StackTrace(1, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType?.Assembly == typeof(CallSite).Assembly) continue;
            var file = frame.GetFileName();
            if (!string.IsNullOrEmpty(file)) return new SourceLocation(file, LineOfCall(file, frame.GetFileLineNumber(), member), member);
        }
        return SourceLocation.Unknown with { Member = member };
    }

    /// <summary>
    /// A stack frame gives the line where the statement starts; a fluent chain often continues on
    /// later lines. The call is on the first line from there that names the member.
    /// </summary>
    private static int LineOfCall(string file, int statementLine, string member)
    {
        try
        {
            var lines = File.ReadLines(file).Skip(statementLine - 1).Take(200).ToList();
            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i].Contains("." + member + "(", StringComparison.Ordinal) || lines[i].TrimStart().StartsWith(member + "(", StringComparison.Ordinal))
                    return statementLine + i;
                if (i > 0 && lines[i].TrimEnd().EndsWith(';')) break;
            }
        }
        catch (IOException)
        {
        }
        return statementLine;
    }

    internal static SourceLocation At(string file, int line, string member) =>
        string.IsNullOrEmpty(file) ? Capture(member) : new SourceLocation(file, line, member);
}
