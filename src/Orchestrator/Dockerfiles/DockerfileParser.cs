using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Parses Dockerfile text into the recipe model, following Docker's (BuildKit's) rules for continuations,
/// directives, exec and shell forms, variable expansion and ARG/ENV scoping. Errors are
/// <see cref="RecipeException"/>s located at the Dockerfile line. The supported syntax is listed in docs/dockerfiles.md.
/// </summary>
public static class DockerfileParser
{
    /// <param name="text">The Dockerfile text.</param>
    /// <param name="path">Its path, for error locations.</param>
    /// <param name="buildArgs">Values given with <c>--build-arg</c>, used for ARG expansion.</param>
    public static DockerfileDocument Parse(string text, string path, IReadOnlyDictionary<string, string> buildArgs) =>
        Parse(text, path, new DockerfileParserOptions { BuildArgs = buildArgs });

    public static DockerfileDocument Parse(string text, string path, DockerfileParserOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (lines, escape, syntax, inheritedArgs) = DockerfileReader.ReadWithArgs(text, path);
        var compiler = new DockerfileCompiler(path, escape, options) { InheritedArgs = inheritedArgs };
        foreach (var line in lines) compiler.Add(line);
        return compiler.Finish() with { Syntax = syntax };
    }

    /// <summary>Reads and parses a Dockerfile from disk.</summary>
    public static async Task<DockerfileDocument> ParseFileAsync(string path, DockerfileParserOptions options, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new OrchestratorException($"Dockerfile '{path}' not found; check the path");
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(text, path, options);
    }

    internal static RecipeException Error(SourceLocation at, string message) => new([new RecipeError(at, message)]);
}
