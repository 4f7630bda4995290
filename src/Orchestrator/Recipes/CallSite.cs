using System.ComponentModel;
using System.Diagnostics;

namespace Orchestrator.Recipes;

/// <summary>
/// Finds the user's call site for builder methods that cannot take caller-info parameters
/// (a <c>params</c> array must come last). The script host annotates such calls with
/// <see cref="At{T}"/>, which gives the exact line; otherwise the first stack frame outside this
/// assembly that has a file is used, which knows only where the statement starts. It also follows the root
/// script's calls into methods of loaded files (<see cref="Enter"/>, <see cref="Leave{T}"/>, emitted by the
/// script host), so a location inside such a file carries the call that led there.
/// </summary>
public static class CallSite
{
    [ThreadStatic]
    private static SourceLocation? s_pending;

    private static readonly AsyncLocal<SourceLocation?> s_caller = new();

    /// <summary>
    /// Records that the root script, at <paramref name="file"/>(<paramref name="line"/>,<paramref name="column"/>),
    /// calls a method of a loaded file; returns the call it was in before, for <see cref="Leave{T}"/>. Emitted by the script host.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static SourceLocation? Enter(string file, int line, int column)
    {
        var outer = s_caller.Value;
        s_caller.Value = new SourceLocation(file, line, Column: column);
        return outer;
    }

    /// <summary>Ends the call <see cref="Enter"/> recorded and passes its result on. Emitted by the script host.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static T Leave<T>(SourceLocation? outer, T result)
    {
        s_caller.Value = outer;
        return result;
    }

    /// <summary>Ends a call without result that <see cref="Enter"/> recorded. Emitted by the script host.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Leave(SourceLocation? outer) => s_caller.Value = outer;

    /// <summary>The location, with the root script's call that led to it when it lies in another file.</summary>
    private static SourceLocation WithCaller(SourceLocation location) =>
        s_caller.Value is { } caller && location.IsKnown && !string.Equals(caller.File, location.File, StringComparison.Ordinal)
            ? location with { Caller = caller }
            : location;

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
            return WithCaller(pending);
        }
        var trace = new StackTrace(1, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType?.Assembly == typeof(CallSite).Assembly) continue;
            var file = frame.GetFileName();
            if (!string.IsNullOrEmpty(file)) return WithCaller(new SourceLocation(file, LineOfCall(file, frame.GetFileLineNumber(), member), member));
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
        string.IsNullOrEmpty(file) ? Capture(member) : WithCaller(new SourceLocation(file, line, member));
}
