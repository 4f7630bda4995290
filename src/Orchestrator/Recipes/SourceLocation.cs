namespace Orchestrator.Recipes;

/// <summary>
/// Where a recipe element was written: a <c>.csx</c> call site or a Dockerfile line.
/// <see cref="Member"/> is the builder method or Dockerfile instruction, used to find the
/// column lazily (only when an error is printed).
/// </summary>
public sealed record SourceLocation(string File, int Line, string? Member = null, int Column = 0)
{
    public static SourceLocation Unknown { get; } = new("", 0);

    /// <summary>
    /// For a location inside a loaded recipe file (<c>#load "recipes/node.csx"</c>): the root script's call that
    /// led there, so an error in a recipe that is called twice says which call it is.
    /// </summary>
    public SourceLocation? Caller { get; init; }

    /// <summary><c> (called from build.csx(4,1))</c> when the caller is known, else empty.</summary>
    public string CallerNote => Caller is { IsKnown: true } caller ? $" (called from {caller})" : "";

    public bool IsKnown => File.Length > 0 && Line > 0;

    /// <summary>The column (1-based) of <see cref="Member"/> on the line, or 1 when it cannot be found.</summary>
    public int ResolveColumn()
    {
        if (Column > 0) return Column;
        if (!IsKnown || Member is null) return 1;
        try
        {
            var line = System.IO.File.ReadLines(File).Skip(Line - 1).FirstOrDefault();
            if (line is null) return 1;
            var at = line.IndexOf("." + Member + "(", StringComparison.Ordinal);
            if (at >= 0) return at + 2;
            at = line.IndexOf(Member + "(", StringComparison.Ordinal);
            if (at >= 0) return at + 1;
            at = line.IndexOf(Member, StringComparison.OrdinalIgnoreCase);
            if (at >= 0) return at + 1;
            return line.Length - line.TrimStart().Length + 1;
        }
        catch (IOException)
        {
            return 1;
        }
    }

    /// <summary>The file as the user should see it: relative to the working folder when inside it.</summary>
    public string DisplayFile
    {
        get
        {
            if (File.Length == 0) return "<recipe>";
            var full = Path.GetFullPath(File);
            var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
            return relative.StartsWith("..", StringComparison.Ordinal) ? full : relative;
        }
    }

    /// <summary>MSBuild/Roslyn style prefix: <c>build.csx(3,5)</c>.</summary>
    public override string ToString() => IsKnown ? $"{DisplayFile}({Line},{ResolveColumn()})" : DisplayFile;
}
