namespace Orchestrator.Dockerfiles;

/// <summary>Parses Dockerfile text into the recipe model.</summary>
public static class DockerfileParser
{
    /// <param name="text">The Dockerfile text.</param>
    /// <param name="path">Its path, for error locations.</param>
    /// <param name="buildArgs">Values given with <c>--build-arg</c>, used for ARG expansion.</param>
    public static DockerfileDocument Parse(string text, string path, IReadOnlyDictionary<string, string> buildArgs) =>
        throw new NotImplementedException();
}
