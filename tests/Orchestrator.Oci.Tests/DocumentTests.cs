using System.Text;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Tests;

public class DocumentTests
{
    private static readonly Digest A = Digest.Sha256("a"u8);
    private static readonly Digest B = Digest.Sha256("b"u8);

    [Fact]
    public void Canonical_json_sorts_keys_at_every_depth_without_white_space()
    {
        var manifest = new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, A, 10), [new Descriptor(MediaTypes.OciLayerGzip, B, 20) { Annotations = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" } }]);
        var json = Encoding.UTF8.GetString(CanonicalJson.Serialize(manifest));
        Assert.Equal(
            $"{{\"config\":{{\"digest\":\"{A}\",\"mediaType\":\"{MediaTypes.OciConfig}\",\"size\":10}},\"layers\":[{{\"annotations\":{{\"a\":\"2\",\"z\":\"1\"}},\"digest\":\"{B}\",\"mediaType\":\"{MediaTypes.OciLayerGzip}\",\"size\":20}}],\"mediaType\":\"{MediaTypes.OciManifest}\",\"schemaVersion\":2}}",
            json);
    }

    [Fact]
    public void Same_document_gives_the_same_digest_and_does_not_escape_shell_text()
    {
        var config = new ImageConfig
        {
            Config = new ContainerConfig { Env = ["A=1"], Cmd = ["sh", "-c", "a && b > c"], ExposedPorts = new Dictionary<string, EmptyObject> { ["8080/tcp"] = EmptyObject.Instance } },
        }.WithLayer(A, new HistoryEntry { CreatedBy = "RUN a && b" });
        var first = CanonicalJson.Serialize(config);
        var second = CanonicalJson.Serialize(CanonicalJson.Deserialize<ImageConfig>(first, "config"));
        Assert.Equal(first, second);
        var text = Encoding.UTF8.GetString(first);
        Assert.Contains("a && b > c", text);
        Assert.Contains("\"ExposedPorts\":{\"8080/tcp\":{}}", text);
        Assert.Contains($"\"diff_ids\":[\"{A}\"]", text);
    }

    [Fact]
    public void Image_config_reads_every_runtime_field_and_keeps_unknown_ones()
    {
        var json = """
            {"architecture":"arm64","variant":"v8","os":"linux","created":"2024-01-02T03:04:05Z",
             "config":{"User":"10001","Env":["PATH=/bin"],"Entrypoint":["/tini","--"],"Cmd":["app"],"WorkingDir":"/app",
               "Labels":{"k":"v"},"ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"StopSignal":"SIGTERM",
               "Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"],"Interval":30000000000,"Retries":3},"OnBuild":["RUN x"]},
             "rootfs":{"type":"layers","diff_ids":["sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"]},
             "history":[{"created_by":"ENV x","empty_layer":true}],
             "docker_version":"24.0.0","container_config":{"Hostname":"abc"}}
            """;
        var config = CanonicalJson.Deserialize<ImageConfig>(Encoding.UTF8.GetBytes(json), "config");
        Assert.Equal("linux/arm64/v8", config.Platform.ToString());
        Assert.Equal("10001", config.Config!.User);
        Assert.Equal(["/tini", "--"], config.Config.Entrypoint!);
        Assert.Equal("/app", config.Config.WorkingDir);
        Assert.Equal("v", config.Config.Labels!["k"]);
        Assert.True(config.Config.Volumes!.ContainsKey("/data"));
        Assert.Equal(30_000_000_000, config.Config.Healthcheck!.IntervalNanoseconds);
        Assert.Equal(HealthcheckConfig.ToNanoseconds(TimeSpan.FromSeconds(30)), config.Config.Healthcheck.IntervalNanoseconds);
        Assert.Equal(["RUN x"], config.Config.OnBuild!);
        Assert.Equal("SIGTERM", config.Config.StopSignal);
        Assert.True(config.History![0].EmptyLayer);
        var written = Encoding.UTF8.GetString(CanonicalJson.Serialize(config));
        Assert.Contains("\"docker_version\":\"24.0.0\"", written);
        Assert.Contains("\"container_config\":{\"Hostname\":\"abc\"}", written);
    }

    [Fact]
    public void Manifest_document_takes_the_media_type_from_the_header_or_the_body()
    {
        var manifest = ManifestDocument.From(new ImageManifest(MediaTypes.DockerManifest, new Descriptor(MediaTypes.DockerConfig, A, 1), []));
        var fromBody = ManifestDocument.FromBytes(manifest.Content, "application/octet-stream", "test");
        Assert.Equal(MediaTypes.DockerManifest, fromBody.MediaType);
        Assert.Equal(manifest.Digest, fromBody.Digest);

        // OCI manifests may omit mediaType; an index is recognised by its manifests list.
        var bare = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"manifests":[]}""");
        Assert.True(ManifestDocument.FromBytes(bare, null, "test").IsIndex);
    }

    [Fact]
    public void Unknown_manifest_media_type_is_an_error_naming_it_and_the_source()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws","fsLayers":[]}""");
        var error = Assert.Throws<OrchestratorException>(() => ManifestDocument.FromBytes(bytes, "application/vnd.docker.distribution.manifest.v1+prettyjws", "localhost:5000/old:1"));
        Assert.Contains("localhost:5000/old:1", error.Message);
        Assert.Contains("v1+prettyjws", error.Message);
        Assert.Contains("schema 1", error.Message);

        var other = Assert.Throws<OrchestratorException>(() => ManifestDocument.FromBytes(Encoding.UTF8.GetBytes("""{"mediaType":"text/plain"}"""), "text/plain", "r/x:1"));
        Assert.Contains("'text/plain'", other.Message);
        Assert.Throws<OrchestratorException>(() => ManifestDocument.FromBytes("not json"u8.ToArray(), MediaTypes.OciManifest, "r/x:1"));
    }

    [Fact]
    public void An_index_is_not_an_image_manifest()
    {
        var index = ManifestDocument.From(new ImageIndex(MediaTypes.OciIndex, []));
        var error = Assert.Throws<OrchestratorException>(() => index.AsManifest());
        Assert.Contains("select a platform", error.Message);
    }

    [Fact]
    public void Descriptor_annotations_round_trip()
    {
        var descriptor = new Descriptor(MediaTypes.OciManifest, A, 5).WithAnnotation(AnnotationKeys.RefName, "v1");
        var read = CanonicalJson.Deserialize<Descriptor>(CanonicalJson.Serialize(descriptor), "descriptor");
        Assert.Equal("v1", read.Annotation(AnnotationKeys.RefName));
        Assert.Equal(A, read.Digest);
    }
}
