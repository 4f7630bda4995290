using Orchestrator.Execution;

namespace Orchestrator.Tests.Execution;

public sealed class CopyPlannerTests : IDisposable
{
    private readonly string _context = Directory.CreateTempSubdirectory("orchestrator-copy-").FullName;

    public CopyPlannerTests()
    {
        Write("app.js", "a");
        Write("package.json", "{}");
        Write("src/index.ts", "i");
        Write("src/lib/util.ts", "u");
        Write("src/lib/util.test.ts", "t");
        Write("docs/readme.md", "r");
        File.CreateSymbolicLink(Path.Combine(_context, "latest.js"), "app.js");
        File.CreateSymbolicLink(Path.Combine(_context, "escape"), "/etc/passwd");
    }

    public void Dispose() => Directory.Delete(_context, recursive: true);

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_context, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private IReadOnlyList<CopyEntry> Plan(string[] sources, string destination, string workdir = "/", Func<string, bool>? ignored = null, Func<string, bool>? isDir = null) =>
        new CopyPlanner(_context, ignored).Plan(sources, destination, workdir, isDir);

    private static IEnumerable<string> Targets(IEnumerable<CopyEntry> entries) => entries.Select(e => e.Destination);

    [Fact]
    public void A_file_into_a_folder_destination()
    {
        Assert.Equal(["/app/app.js"], Targets(Plan(["app.js"], "/app/")));
    }

    [Fact]
    public void A_file_to_a_file_destination_is_renamed()
    {
        Assert.Equal(["/app/main.js"], Targets(Plan(["app.js"], "/app/main.js")));
    }

    [Fact]
    public void A_file_into_an_existing_image_folder_without_slash()
    {
        Assert.Equal(["/usr/bin/app.js"], Targets(Plan(["app.js"], "/usr/bin", isDir: p => p == "/usr/bin")));
    }

    [Fact]
    public void A_folder_copies_its_contents_not_itself()
    {
        Assert.Equal(["/dst", "/dst/index.ts", "/dst/lib", "/dst/lib/util.test.ts", "/dst/lib/util.ts"], Targets(Plan(["src"], "/dst")));
    }

    [Fact]
    public void Relative_destinations_build_on_workdir()
    {
        Assert.Equal(["/work/app/package.json"], Targets(Plan(["package.json"], "./", "/work/app")));
        Assert.Equal(["/work/app/x/package.json"], Targets(Plan(["package.json"], "x/", "/work/app")));
    }

    [Fact]
    public void Wildcards_match_per_segment_in_order()
    {
        Assert.Equal(["/app/app.js", "/app/latest.js"], Targets(Plan(["*.js"], "/app/")));
        Assert.Equal(["/t/util.test.ts", "/t/util.ts"], Targets(Plan(["src/*/util*.ts"], "/t/")));
        Assert.Equal(["/p/package.json"], Targets(Plan(["packag?.json"], "/p/")));
        Assert.Equal(["/d", "/d/readme.md"], Targets(Plan(["[d]ocs"], "/d/")));
    }

    [Fact]
    public void Several_sources_need_a_folder_destination()
    {
        var error = Assert.Throws<OrchestratorException>(() => Plan(["app.js", "package.json"], "/app"));
        Assert.Contains("must be a folder: end it with '/'", error.Message);
        Assert.Throws<OrchestratorException>(() => Plan(["*.js"], "/app"));
        Assert.Equal(2, Plan(["app.js", "package.json"], "/app/").Count);
    }

    [Fact]
    public void Missing_source_names_it()
    {
        var error = Assert.Throws<OrchestratorException>(() => Plan(["nope.txt"], "/app/"));
        Assert.Contains("'nope.txt' not found", error.Message);
        Assert.Contains("no source files", Assert.Throws<OrchestratorException>(() => Plan(["*.py"], "/app/")).Message);
    }

    [Fact]
    public void Ignored_files_are_invisible()
    {
        bool Ignored(string p) => p.EndsWith(".test.ts") || p == "docs" || p.StartsWith("docs/");
        Assert.Equal(["/dst", "/dst/index.ts", "/dst/lib", "/dst/lib/util.ts"], Targets(Plan(["src"], "/dst", ignored: Ignored)));
        Assert.Contains("excluded by .dockerignore", Assert.Throws<OrchestratorException>(() => Plan(["docs"], "/d/", ignored: Ignored)).Message);
        Assert.Equal(["/all", "/all/app.js", "/all/latest.js", "/all/package.json"], Targets(Plan(["."], "/all/", ignored: p => p.StartsWith("src") || p.StartsWith("docs") || p == "escape")));
    }

    [Fact]
    public void Files_under_an_ignored_folder_can_be_reincluded()
    {
        // .dockerignore: "src" then "!src/lib/util.ts"
        bool Ignored(string p) => (p == "src" || p.StartsWith("src/")) && p != "src/lib/util.ts";
        Assert.Equal(["/ctx", "/ctx/app.js", "/ctx/latest.js", "/ctx/package.json", "/ctx/src/lib/util.ts"],
            Targets(Plan(["."], "/ctx", ignored: p => Ignored(p) || p.StartsWith("docs") || p == "escape")));
    }

    [Fact]
    public void A_top_level_symlink_is_followed_inside_the_context_only()
    {
        var entry = Assert.Single(Plan(["latest.js"], "/app/"));
        Assert.Equal(Path.Combine(_context, "app.js"), entry.Source);
        Assert.Contains("points outside", Assert.Throws<OrchestratorException>(() => Plan(["escape"], "/x")).Message);
    }

    [Fact]
    public void Climbing_out_of_the_context_is_refused()
    {
        Assert.Contains("outside the context", Assert.Throws<OrchestratorException>(() => Plan(["../x"], "/x")).Message);
    }

    [Fact]
    public void The_several_sources_rule_counts_matches_after_wildcards_and_dockerignore()
    {
        // One match is one source: a wildcard that matches one file may name a file destination.
        Assert.Equal(["/app/pkg.json"], Targets(Plan(["packag*.json"], "/app/pkg.json")));
        // .dockerignore removes matches before they are counted.
        Assert.Equal(["/app/main.js"], Targets(Plan(["*.js"], "/app/main.js", ignored: p => p == "latest.js")));
        // Folders merge their contents into the destination, as Docker's builder does.
        Assert.Equal(["/dst", "/dst/index.ts", "/dst/lib", "/dst/lib/util.test.ts", "/dst/lib/util.ts", "/dst", "/dst/readme.md"], Targets(Plan(["src", "docs"], "/dst")));
        // An existing image folder takes several files without a trailing '/'.
        Assert.Equal(["/usr/bin/app.js", "/usr/bin/package.json"], Targets(Plan(["app.js", "package.json"], "/usr/bin", isDir: p => p == "/usr/bin")));
        var error = Assert.Throws<OrchestratorException>(() => Plan(["*.js"], "/app"));
        Assert.Contains("2 sources (app.js, latest.js)", error.Message);
    }

    [Fact]
    public void The_destination_is_resolved_through_the_images_links()
    {
        static string Links(string p) => p.StartsWith("/bin/", StringComparison.Ordinal) || p == "/bin" ? "/usr" + p : p;
        Assert.Equal(["/usr/bin/tool"], Targets(new CopyPlanner(_context).Plan(["app.js"], "/bin/tool", "/", isDirectoryInImage: _ => false, resolveInImage: Links)));
        Assert.Equal(["/usr/bin/app.js"], Targets(new CopyPlanner(_context).Plan(["app.js"], "/bin", "/", isDirectoryInImage: p => p == "/usr/bin", resolveInImage: Links)));
        Assert.Equal(["/usr/bin", "/usr/bin/index.ts", "/usr/bin/lib", "/usr/bin/lib/util.test.ts", "/usr/bin/lib/util.ts"],
            Targets(new CopyPlanner(_context).Plan(["src"], "/bin/", "/", resolveInImage: Links)));
    }

    [Fact]
    public void Only_named_or_matched_sources_are_marked_as_sources()
    {
        var entries = Plan(["src", "app.js"], "/dst/");
        Assert.Equal(["/dst", "/dst/app.js"], entries.Where(e => e.IsSource).Select(e => e.Destination));
    }
}
