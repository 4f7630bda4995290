using Orchestrator.Oci;

namespace Orchestrator.Oci.Tests;

public class ImageReferenceTests
{
    private const string Sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null, "docker.io/library/busybox:1.36")]
    [InlineData("library/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox:latest")]
    [InlineData("bitnami/redis:7", "docker.io", "bitnami/redis", "7", null, "docker.io/bitnami/redis:7")]
    [InlineData("localhost/app", "localhost", "app", null, null, "localhost/app:latest")]
    [InlineData("localhost:5000/team/app:v1", "localhost:5000", "team/app", "v1", null, "localhost:5000/team/app:v1")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000", "app", null, null, "127.0.0.1:5000/app:latest")]
    [InlineData("10.1.2.3/a/b/c:tag_1.2-x", "10.1.2.3", "a/b/c", "tag_1.2-x", null, "10.1.2.3/a/b/c:tag_1.2-x")]
    [InlineData("[::1]:5000/app:1", "[::1]:5000", "app", "1", null, "[::1]:5000/app:1")]
    [InlineData("ghcr.io/org/my-app__x.y", "ghcr.io", "org/my-app__x.y", null, null, "ghcr.io/org/my-app__x.y:latest")]
    [InlineData("Registry/app", "Registry", "app", null, null, "Registry/app:latest")]
    public void Parses_and_normalises(string input, string registry, string repository, string? tag, string? digest, string canonical)
    {
        var reference = ImageReference.Parse(input);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(canonical, reference.ToString());
        Assert.Equal(canonical, ImageReference.Parse(canonical).ToString());
    }

    [Fact]
    public void Digest_only_has_no_effective_tag_and_asks_for_the_digest()
    {
        var reference = ImageReference.Parse("alpine@" + Sha);
        Assert.Null(reference.Tag);
        Assert.Null(reference.EffectiveTag);
        Assert.Equal(Sha, reference.ManifestReference);
        Assert.Equal("docker.io/library/alpine@" + Sha, reference.ToString());
    }

    [Fact]
    public void Tag_and_digest_keeps_both_and_pins_the_digest()
    {
        var reference = ImageReference.Parse("localhost:5000/app:v2@" + Sha);
        Assert.Equal("v2", reference.Tag);
        Assert.Equal(Sha, reference.Digest);
        Assert.Equal(Sha, reference.ManifestReference);
        Assert.Equal("localhost:5000/app:v2@" + Sha, reference.ToString());
    }

    [Fact]
    public void Docker_hub_is_served_by_registry_1()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("busybox").RegistryHost);
        Assert.Equal("localhost:5000", ImageReference.Parse("localhost:5000/x").RegistryHost);
    }

    [Fact]
    public void WithTag_drops_the_digest_and_WithDigest_validates()
    {
        var pinned = ImageReference.Parse("app@" + Sha);
        Assert.Equal("docker.io/library/app:v1", pinned.WithTag("v1").ToString());
        Assert.Equal(Sha, ImageReference.Parse("app:v1").WithDigest(Sha).Digest);
        var error = Assert.Throws<OrchestratorException>(() => ImageReference.Parse("app:v1").WithDigest("sha256:abc"));
        Assert.Contains("sha256:abc", error.Message);
    }

    [Theory]
    [InlineData("localhost:5000/a", true)]
    [InlineData("localhost/a", true)]
    [InlineData("127.0.0.1:5000/a", true)]
    [InlineData("127.8.9.10/a", true)]
    [InlineData("[::1]:5000/a", true)]
    [InlineData("10.0.0.1:5000/a", false)]
    [InlineData("registry.example.com/a", false)]
    [InlineData("busybox", false)]
    public void Knows_loopback_registries(string input, bool loopback) =>
        Assert.Equal(loopback, ImageReference.Parse(input).IsLoopbackRegistry);

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("Busybox", "must be lowercase")]
    [InlineData("busybox:", "tag ''")]
    [InlineData("busybox:-x", "tag '-x'")]
    [InlineData("busybox:tæg", "tag 'tæg'")]
    [InlineData("busybox:a/b", "registry 'busybox:a'")]
    [InlineData("busybox@sha256:abc", "digest 'sha256:abc'")]
    [InlineData("busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "digest")]
    [InlineData("/busybox", "starts with '/'")]
    [InlineData("localhost:5000/", "repository name is missing")]
    [InlineData("@" + Sha, "repository name is missing")]
    [InlineData("bad_host-.com:5000/app", "registry 'bad_host-.com:5000'")]
    [InlineData("a//b", "repository 'a//b'")]
    [InlineData("a/b-", "repository 'a/b-'")]
    [InlineData("my app", "white space")]
    public void Rejects_malformed_input_quoting_it(string input, string why)
    {
        Assert.False(ImageReference.TryParse(input, out var reference, out var error));
        Assert.Null(reference);
        Assert.Contains(why, error);
        if (!string.IsNullOrWhiteSpace(input)) Assert.Contains($"'{input}'", error);
        var exception = Assert.Throws<OrchestratorException>(() => ImageReference.Parse(input));
        Assert.Equal(error, exception.Message);
    }

    [Fact]
    public void Rejects_names_longer_than_255()
    {
        var name = "registry.example.com/" + new string('a', 240);
        Assert.False(ImageReference.TryParse(name, out _, out var error));
        Assert.Contains("255", error);
    }

    [Fact]
    public void Accepts_a_128_character_tag_but_not_129()
    {
        Assert.True(ImageReference.TryParse("app:" + new string('t', 128), out _, out _));
        Assert.False(ImageReference.TryParse("app:" + new string('t', 129), out _, out _));
    }
}
