using Orchestrator.Dockerfiles;

namespace Orchestrator.Tests.Dockerfiles;

public class DockerignoreMatcherTests
{
    [Theory]
    // plain names match at the context root only, and everything below a matched directory
    [InlineData("node_modules", "node_modules", true)]
    [InlineData("node_modules", "node_modules/left-pad/index.js", true)]
    [InlineData("node_modules", "web/node_modules", false)]
    [InlineData("node_modules", "node_modules_backup", false)]
    // leading and trailing slashes, "./" and ".." are cleaned like Go's path.Clean
    [InlineData("/build/", "build/out.bin", true)]
    [InlineData("./tmp//cache/", "tmp/cache/x", true)]
    [InlineData("a/../b", "b", true)]
    [InlineData("a/../b", "a", false)]
    // '*' and '?' never cross '/'
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "logs/app.log", false)]
    [InlineData("*/*.log", "logs/app.log", true)]
    [InlineData("*/*.log", "a/b/app.log", false)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    [InlineData("a?b", "a/b", false)]
    // '**' spans any number of directories, none included
    [InlineData("**/*.log", "app.log", true)]
    [InlineData("**/*.log", "a/b/c/app.log", true)]
    [InlineData("**/node_modules", "web/packages/ui/node_modules/x/y.js", true)]
    [InlineData("docs/**/*.md", "docs/README.md", true)]
    [InlineData("docs/**/*.md", "docs/a/b/guide.md", true)]
    [InlineData("docs/**/*.md", "src/docs/guide.md", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("src/**", "src/a/b", true)]
    [InlineData("src/**", "srcx/a", false)]
    // character classes and escapes
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("[a-c]?.txt", "c9.txt", true)]
    [InlineData("[^a-c].txt", "z.txt", true)]
    [InlineData("[^a-c].txt", "a.txt", false)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("file.txt", "fileXtxt", false)]
    // dots and regex characters are literal
    [InlineData("a+b(c).txt", "a+b(c).txt", true)]
    public void Single_pattern(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, DockerignoreMatcher.Parse(pattern).IsExcluded(path));

    [Theory]
    // the last matching line wins; '!' re-includes
    [InlineData("*.md\n!README.md", "README.md", false)]
    [InlineData("*.md\n!README.md", "CHANGES.md", true)]
    [InlineData("!README.md\n*.md", "README.md", true)]
    [InlineData("docs\n!docs/keep", "docs/keep/a.txt", false)]
    [InlineData("docs\n!docs/keep", "docs/drop/a.txt", true)]
    [InlineData("docs\n!docs/keep\ndocs/keep/secret", "docs/keep/secret/key", true)]
    [InlineData("**\n!src/**\n!package.json", "src/index.ts", false)]
    [InlineData("**\n!src/**\n!package.json", "package.json", false)]
    [InlineData("**\n!src/**\n!package.json", "test/a.ts", true)]
    [InlineData("*\n!*.go\nvendor", "vendor/a.go", true)]
    [InlineData("*\n!*.go\nvendor", "main.go", false)]
    // comments, blank lines and spaces
    [InlineData("# *.txt\n\n   \n", "a.txt", false)]
    [InlineData("  *.txt  \n", "a.txt", true)]
    [InlineData("! *.txt\n", "a.txt", false)]
    [InlineData(" #hash\n", "#hash", true)]
    [InlineData("*.txt\r\n!keep.txt\r\n", "keep.txt", false)]
    public void Several_patterns(string ignore, string path, bool excluded) =>
        Assert.Equal(excluded, DockerignoreMatcher.Parse(ignore).IsExcluded(path));

    [Theory]
    [InlineData("node_modules", "node_modules", false)]
    [InlineData("node_modules", "src", true)]
    [InlineData("docs\n!docs/keep/*.md", "docs", true)]
    [InlineData("docs\n!docs/keep/*.md", "docs/keep", true)]
    [InlineData("docs\n!docs/keep/*.md", "docs/other", false)]
    [InlineData("docs\n!docs/keep/*.md", "docs/keep/deeper", false)]
    [InlineData("build\n!**/*.keep", "build/a/b", true)]
    [InlineData("build\n!build", "build", true)]
    [InlineData("*\n!src", "assets", false)]
    public void Walking_an_excluded_directory_is_needed_only_when_an_exception_may_reach_below_it(string ignore, string directory, bool walk) =>
        Assert.Equal(walk, DockerignoreMatcher.Parse(ignore).ShouldWalk(directory));

    [Fact]
    public void Patterns_keep_their_line_numbers_and_exception_flags()
    {
        var matcher = DockerignoreMatcher.Parse("# header\n/dist/\n\n!dist/keep.txt\n");
        Assert.Equal(["dist@2", "!dist/keep.txt@4"], matcher.Patterns.Select(p => $"{p}@{p.Line}"));
        Assert.True(matcher.HasExceptions);
    }

    [Fact]
    public void An_unclosed_character_class_is_an_error_naming_the_pattern()
    {
        var exception = Assert.Throws<OrchestratorException>(() => DockerignoreMatcher.Parse("src/[abc"));
        Assert.Contains("'src/[abc'", exception.Message);
    }

    [Fact]
    public async Task Load_reads_the_context_dockerignore_or_excludes_nothing()
    {
        var context = Directory.CreateTempSubdirectory("orchestrator-ignore-");
        try
        {
            Assert.Empty((await DockerignoreMatcher.LoadAsync(context.FullName)).Patterns);
            Assert.False(DockerignoreMatcher.Load(context.FullName).IsExcluded("bin/app"));

            await File.WriteAllTextAsync(Path.Combine(context.FullName, ".dockerignore"), "bin\n!bin/app\n");
            var matcher = await DockerignoreMatcher.LoadAsync(context.FullName);
            Assert.True(matcher.IsExcluded("bin/other"));
            Assert.False(matcher.IsExcluded("bin/app"));
            Assert.True(DockerignoreMatcher.Load(context.FullName).IsExcluded("bin/other"));
        }
        finally
        {
            context.Delete(recursive: true);
        }
    }
}
