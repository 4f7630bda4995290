using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Tests;

public class PlatformSelectionTests
{
    private static Descriptor Entry(string platform, byte seed) =>
        new(MediaTypes.OciManifest, Digest.Sha256([seed]), 100) { Platform = Platform.Parse(platform) };

    private static readonly ImageIndex Index = new(MediaTypes.OciIndex,
    [
        Entry("linux/amd64", 1),
        Entry("linux/arm/v6", 2),
        Entry("linux/arm/v7", 3),
        Entry("linux/arm64/v8", 4),
        Entry("windows/amd64", 5),
        new Descriptor("application/vnd.in-toto+json", Digest.Sha256([6]), 10) { Platform = new Platform("unknown", "unknown") },
    ]);

    [Theory]
    [InlineData("linux/amd64", 1)]
    [InlineData("linux/arm/v6", 2)]
    [InlineData("linux/arm", 3)]
    [InlineData("linux/arm64", 4)]
    [InlineData("linux/arm64/v8", 4)]
    [InlineData("windows/amd64", 5)]
    [InlineData("linux/x86_64", 1)]
    public void Selects_the_matching_manifest(string wanted, byte expected) =>
        Assert.Equal(Digest.Sha256([expected]), PlatformSelector.Select(Index, Platform.Parse(wanted), "test").Digest);

    [Fact]
    public void Missing_platform_names_what_is_offered()
    {
        var error = Assert.Throws<OrchestratorException>(() => PlatformSelector.Select(Index, Platform.Parse("linux/s390x"), "docker.io/library/x:1"));
        Assert.Contains("docker.io/library/x:1", error.Message);
        Assert.Contains("linux/s390x", error.Message);
        Assert.Contains("linux/arm64/v8", error.Message);
        Assert.DoesNotContain("unknown/unknown", error.Message);
    }

    [Fact]
    public void Exact_variant_is_required_when_asked_for()
    {
        var index = new ImageIndex(MediaTypes.OciIndex, [Entry("linux/arm/v6", 2)]);
        Assert.Throws<OrchestratorException>(() => PlatformSelector.Select(index, Platform.Parse("linux/arm/v7"), "x"));
        Assert.Equal(Digest.Sha256([2]), PlatformSelector.Select(index, Platform.Parse("linux/arm"), "x").Digest);
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("a/b/c/d")]
    public void Rejects_malformed_platforms(string text)
    {
        var error = Assert.Throws<OrchestratorException>(() => Platform.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Fact]
    public void Host_platform_is_linux() => Assert.Equal("linux", Platform.Host.Os);
}
