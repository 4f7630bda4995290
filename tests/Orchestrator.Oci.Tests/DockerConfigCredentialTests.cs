using System.Text;
using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Tests;

public sealed class DockerConfigCredentialTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-dockercfg-").FullName;

    private string Write(string json, string name = "config.json")
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Reads_auth_as_base64_user_colon_password_with_colons_in_the_password()
    {
        var path = Write($$$$"""{"auths":{"registry.example.com":{"auth":"{{{{Base64("ci:pa:ss")}}}}"}}}""");
        var credentials = await new DockerConfigCredentialProvider(path).GetCredentialsAsync("registry.example.com", default);
        Assert.Equal("ci", credentials!.Username);
        Assert.Equal("pa:ss", credentials.Password);
    }

    [Fact]
    public async Task Reads_username_and_password_fields_and_url_keys()
    {
        var path = Write("""{"auths":{"https://registry.example.com:5000/v2/":{"username":"u","password":"p"}}}""");
        var provider = new DockerConfigCredentialProvider(path);
        var credentials = await provider.GetCredentialsAsync("registry.example.com:5000", default);
        Assert.Equal(("u", "p"), (credentials!.Username, credentials.Password));
        Assert.Null(await provider.GetCredentialsAsync("registry.example.com", default));
    }

    [Fact]
    public async Task Docker_hub_uses_the_index_v1_key()
    {
        var path = Write($$$$"""{"auths":{"https://index.docker.io/v1/":{"auth":"{{{{Base64("hubuser:hubpass")}}}}"}}}""");
        var credentials = await new DockerConfigCredentialProvider(path).GetCredentialsAsync("docker.io", default);
        Assert.Equal("hubuser", credentials!.Username);
    }

    [Fact]
    public async Task Identity_tokens_are_read()
    {
        var path = Write("""{"auths":{"acr.example.io":{"auth":"","identitytoken":"refresh-me"}}}""");
        var credentials = await new DockerConfigCredentialProvider(path).GetCredentialsAsync("acr.example.io", default);
        Assert.Equal("refresh-me", credentials!.IdentityToken);
        Assert.False(credentials.HasPassword);
    }

    [Fact]
    public async Task A_kubernetes_dockerconfigjson_secret_file_and_a_legacy_dockercfg_work()
    {
        var secret = Write($$$$"""{"auths":{"registry.internal:443":{"username":"k8s","password":"pw","auth":"{{{{Base64("k8s:pw")}}}}"}}}""", ".dockerconfigjson");
        Assert.Equal("k8s", (await new DockerConfigCredentialProvider(secret).GetCredentialsAsync("registry.internal:443", default))!.Username);

        var legacy = Write($$$$"""{"old.example.com":{"auth":"{{{{Base64("old:pw")}}}}","email":"x@y"}}""", ".dockercfg");
        Assert.Equal("old", (await new DockerConfigCredentialProvider(legacy).GetCredentialsAsync("old.example.com", default))!.Username);
    }

    [Fact]
    public async Task Missing_file_or_entry_means_anonymous()
    {
        Assert.Null(await new DockerConfigCredentialProvider(Path.Combine(_folder, "none.json")).GetCredentialsAsync("x.io", default));
        Assert.Null(await new DockerConfigCredentialProvider(Write("""{"auths":{}}""")).GetCredentialsAsync("x.io", default));
    }

    [Fact]
    public async Task Broken_files_are_errors_that_name_the_file_and_not_the_secret()
    {
        var invalid = Write("{\"auths\": {", "broken.json");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new DockerConfigCredentialProvider(invalid).GetCredentialsAsync("x.io", default));
        Assert.Contains(invalid, error.Message);

        var badAuth = Write($$$$"""{"auths":{"x.io":{"auth":"{{{{Base64("no-colon-secret")}}}}"}}}""", "bad-auth.json");
        var authError = await Assert.ThrowsAsync<OrchestratorException>(() => new DockerConfigCredentialProvider(badAuth).GetCredentialsAsync("x.io", default));
        Assert.Contains("x.io", authError.Message);
        Assert.DoesNotContain("no-colon-secret", authError.Message);
    }

    [Fact]
    public async Task Cred_helpers_win_over_auths_and_creds_store_covers_the_rest()
    {
        var helpers = Path.Combine(_folder, "bin");
        Directory.CreateDirectory(helpers);
        WriteHelper(helpers, "perhost", """read url; echo "{\"ServerURL\":\"$url\",\"Username\":\"helper-$url\",\"Secret\":\"s1\"}" """);
        WriteHelper(helpers, "store", """read url; if [ "$url" = "https://index.docker.io/v1/" ]; then echo '{"Username":"<token>","Secret":"idtok"}'; else echo "credentials not found in native keychain"; exit 1; fi""");
        var path = Write($$$$"""{"auths":{"a.io":{"auth":"{{{{Base64("file:pw")}}}}"}},"credHelpers":{"a.io":"perhost"},"credsStore":"store"}""");
        var provider = new DockerConfigCredentialProvider(path, helpers);

        var a = await provider.GetCredentialsAsync("a.io", default);
        Assert.Equal(("helper-a.io", "s1"), (a!.Username, a.Password));
        var hub = await provider.GetCredentialsAsync("docker.io", default);
        Assert.Equal("idtok", hub!.IdentityToken);
        Assert.Null(await provider.GetCredentialsAsync("b.io", default));
    }

    [Fact]
    public async Task A_missing_helper_is_a_clear_error()
    {
        var path = Write("""{"credsStore":"does-not-exist"}""");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new DockerConfigCredentialProvider(path, _folder).GetCredentialsAsync("x.io", default));
        Assert.Contains("docker-credential-does-not-exist", error.Message);
    }

    [Fact]
    public void From_environment_honours_an_explicit_folder()
    {
        Write("""{"auths":{}}""");
        Assert.Equal(Path.Combine(_folder, "config.json"), DockerConfigCredentialProvider.FromEnvironment(_folder).ConfigPath);
    }

    private static void WriteHelper(string folder, string name, string script)
    {
        var path = Path.Combine(folder, "docker-credential-" + name);
        File.WriteAllText(path, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\n" + script + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
