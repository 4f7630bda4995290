using Orchestrator.Dockerfiles;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>
/// The matcher against an implementation nobody here wrote: buildah builds <c>FROM scratch / COPY . /</c>
/// from a context with a .dockerignore, and the files in its layer must be exactly the files our matcher keeps
/// when walking the same context (skipping the directories <see cref="DockerignoreMatcher.ShouldWalk"/> rules out).
/// </summary>
public sealed class DockerignoreBuildahOracleTests : IDisposable
{
    private static readonly string[] Files =
    [
        "Dockerfile", "README.md", "CHANGES.md", "app.log", "main.go", "go.sum",
        "docs/guide.md", "docs/keep/a.md", "docs/keep/deep/b.md", "docs/drop/c.md",
        "src/index.ts", "src/lib/util.ts", "src/lib/util.test.ts", "src/node_modules/pkg/index.js",
        "node_modules/left-pad/index.js", "web/node_modules/x/y.js", "web/app.log", "web/public/logo.svg",
        "build/out/app.bin", "build/out/app.keep", "vendor/a.go", "tmp/cache/x", "file1.txt", "file10.txt", "b.txt",
    ];

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("orchestrator-buildah-ignore-");

    public void Dispose() => Orchestrator.Testing.TreeDeleter.Delete(_work.FullName);

    [Theory]
    [InlineData("docs\n!docs/keep\n*.log\n")]
    // buildah decides whether to enter an excluded directory by a prefix test on the exception's text, so an
    // exception like "!build/**/*.keep" does not reach build/out/ there; per-path matching (the documented rule,
    // and what ShouldWalk implements) re-includes it. The cases below avoid that one divergence.
    [InlineData("**/node_modules\n**/*.log\n/build/\n!build/out/*.keep\n[a-c].txt\nfile?.txt\n")]
    [InlineData("*\n!Dockerfile\n!src/**\nsrc/**/*.test.ts\n!*.go\nvendor\n")]
    [InlineData("# comment\n./tmp//cache/\n*.md\n!README.md\ndocs/**/*.md\n!docs/keep/deep\n")]
    public async Task Our_matcher_keeps_exactly_what_buildah_copies(string dockerignore)
    {
        var context = Path.Combine(_work.FullName, "context");
        foreach (var file in Files)
        {
            var path = Path.Combine(context, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, file == "Dockerfile" ? "FROM scratch\nCOPY . /\n" : file);
        }
        await File.WriteAllTextAsync(Path.Combine(context, ".dockerignore"), dockerignore);

        var matcher = await DockerignoreMatcher.LoadAsync(context);
        var ours = Walk(matcher, context, "").Order(StringComparer.Ordinal).ToList();
        var buildah = (await new BuildahOracle(_work.FullName).BuildAsync(context, "ignore-oracle:1")).Files;

        Assert.True(buildah.SequenceEqual(ours), $"buildah copied:\n  {string.Join("\n  ", buildah)}\nwe keep:\n  {string.Join("\n  ", ours)}");
    }

    private static IEnumerable<string> Walk(DockerignoreMatcher matcher, string root, string relative)
    {
        foreach (var entry in new DirectoryInfo(Path.Combine(root, relative)).EnumerateFileSystemInfos())
        {
            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry is DirectoryInfo)
            {
                if (!matcher.ShouldWalk(path)) continue;
                foreach (var inner in Walk(matcher, root, path)) yield return inner;
            }
            else if (!matcher.IsExcluded(path))
            {
                yield return path;
            }
        }
    }
}
