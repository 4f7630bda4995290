using System.Runtime.CompilerServices;
using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>The Dockerfile shapes under Cases/ and helpers to compare parsed models.</summary>
internal static class DockerfileCases
{
    public static string Directory { get; } = Path.Combine(SourceDirectory(), "Cases");

    public static IEnumerable<object[]> All() =>
        System.IO.Directory.GetFiles(Directory, "*.Dockerfile").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    public static string PathOf(string name) => Path.Combine(Directory, name);

    public static DockerfileDocument Parse(string name, IReadOnlyDictionary<string, string>? buildArgs = null) =>
        DockerfileParser.Parse(File.ReadAllText(PathOf(name)), PathOf(name), buildArgs ?? new Dictionary<string, string>());

    public static DockerfileDocument ParseText(string text, IReadOnlyDictionary<string, string>? buildArgs = null) =>
        DockerfileParser.Parse(text, "Dockerfile", buildArgs ?? new Dictionary<string, string>());

    /// <summary>The stages with every source location dropped, so two parses of different text compare by content.</summary>
    public static List<StageRecipe> WithoutLocations(IEnumerable<StageRecipe> stages) =>
        stages.Select(s => s with
        {
            Location = SourceLocation.Unknown,
            Instructions = s.Instructions.Select(i => i with { Location = SourceLocation.Unknown }).ToEquatableArray(),
        }).ToList();

    public static StageRecipe Stage(DockerfileDocument document, string name) => document.Stages.Single(s => s.Name == name);

    public static T Single<T>(StageRecipe stage) where T : Instruction => stage.Instructions.OfType<T>().Single();

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
