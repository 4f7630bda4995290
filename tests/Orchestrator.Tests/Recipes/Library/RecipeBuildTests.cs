using System.Diagnostics;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Recipes.Library;

/// <summary>
/// Each recipe of <c>recipes/</c> that can run here, built through the real CLI from a build.csx that
/// <c>#load</c>s it, on the local bases: the host's static busybox, and Debian bookworm minbase with the
/// toolchains installed from Debian's mirror by the library's own <c>DebianBase</c> (node and npm, python3,
/// gcc). The assertions read the produced image: its files, its config, and what its programs do.
/// </summary>
[Collection(RecipeLibraryCollection.Name)]
public sealed class RecipeBuildTests(RecipeLibraryEnvironment env)
{
    private async Task<BuiltImage> BuildAsync(string project, string image, params string[] arguments)
    {
        var run = await env.OrchestrateAsync(Path.Combine(project, "build.csx"), arguments);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        return await env.UnpackAsync(Path.Combine(project, "out", image));
    }

    private static string[] Files(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToArray() : [];

    [Fact]
    public async Task DebianBase_installs_the_packages_in_one_layer_without_lists_and_keeps_archives_in_the_cache_mount()
    {
        var debian = await env.DebianAsync();
        var project = env.Project("debian-base", new Dictionary<string, string>
        {
            ["build.csx"] = $$"""
                #load "../recipes/debian.csx"
                var tools = DebianBase(["tini"], name: "tools", image: "{{debian}}");
                Image("tools-image").From(tools).Output("out/tools");
                """,
        });

        var image = await BuildAsync(project, "tools");

        Assert.True(File.Exists(image.Path("/usr/bin/tini")), "tini is installed");
        Assert.Equal(2, image.Layers); // the base's one layer and the apt step's
        Assert.Empty(Files(image.Path("/var/lib/apt/lists")));
        Assert.DoesNotContain(Files(image.Path("/var/cache/apt")), f => f.EndsWith(".deb"));
        Assert.Contains(Files(Path.Combine(env.Cache, "cache-mounts")), f => Path.GetFileName(f).StartsWith("tini_") && f.EndsWith(".deb"));
    }

    [Fact]
    public async Task NodeApp_installs_the_locked_dependencies_and_runs_the_app_as_a_non_root_user()
    {
        var debian = await env.DebianAsync();
        var project = env.Project("node-app", new Dictionary<string, string>
        {
            ["build.csx"] = $$"""
                #load "../recipes/debian.csx"
                #load "../recipes/node.csx"
                var node = DebianBase(["nodejs", "npm"], name: "node-toolchain", image: "{{debian}}");
                NodeApp("web", "web", main: "server.js", port: "3000", from: node).Output("out/web");
                """,
            ["web/package.json"] = """
                {
                  "name": "web",
                  "version": "1.0.0",
                  "private": true,
                  "dependencies": { "is-number": "7.0.0" }
                }
                """,
            ["web/package-lock.json"] = """
                {
                  "name": "web",
                  "version": "1.0.0",
                  "lockfileVersion": 3,
                  "requires": true,
                  "packages": {
                    "": { "name": "web", "version": "1.0.0", "dependencies": { "is-number": "7.0.0" } },
                    "node_modules/is-number": {
                      "version": "7.0.0",
                      "resolved": "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
                      "integrity": "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
                      "license": "MIT",
                      "engines": { "node": ">=0.12.0" }
                    }
                  }
                }
                """,
            ["web/server.js"] = "console.log(require('is-number')(42) ? 'number' : 'not');\n",
        });

        // TLS to the npm registry is re-signed on the machines here: npm trusts the host's bundle, given as the
        // recipe's optional secrets (as a build behind a company proxy would).
        var npmrc = Path.Combine(project, "npmrc");
        await File.WriteAllTextAsync(npmrc, $"cafile={NodeRecipes.CaBundle}\n");
        var image = await BuildAsync(project, "web", "--secret", $"id=npmrc,src={npmrc}", "--secret", "id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt");

        Assert.True(File.Exists(image.Path("/app/node_modules/is-number/package.json")), "npm ci installed the locked dependency");
        Assert.True(File.Exists(image.Path("/app/server.js")));
        Assert.Equal("10001:10001", image.User);
        Assert.Equal(["node", "server.js"], image.Strings("Cmd"));
        Assert.Equal("/app", image.Config.GetProperty("WorkingDir").GetString());
        Assert.Equal("production", image.Env("NODE_ENV"));
        Assert.True(image.Config.GetProperty("ExposedPorts").TryGetProperty("3000/tcp", out _));
        Assert.Equal((UnixFileMode)0, new FileInfo(image.Path("/app/server.js")).UnixFileMode & UnixFileMode.OtherWrite);
        Assert.False(File.Exists(image.Path("/root/.npmrc")) || File.Exists(image.Path(NodeRecipes.CaBundle)), "the secrets stay out of the image");
    }

    [Fact]
    public async Task PythonApp_creates_a_virtual_environment_and_runs_the_app_from_it_as_a_non_root_user()
    {
        var debian = await env.DebianAsync();
        var project = env.Project("python-app", new Dictionary<string, string>
        {
            ["build.csx"] = $$"""
                #load "../recipes/debian.csx"
                #load "../recipes/python.csx"
                var python = DebianBase(["python3", "python3-venv"], name: "python-toolchain", image: "{{debian}}");
                PythonApp("api", "api", main: "main.py", from: python).Output("out/api");
                """,
            ["api/requirements.txt"] = "# no third-party packages: pip resolves nothing from the network\n",
            ["api/main.py"] = "print('hello from python')\n",
        });

        var image = await BuildAsync(project, "api");

        Assert.True(File.Exists(image.Path("/opt/venv/pyvenv.cfg")), "the virtual environment exists");
        Assert.True(File.Exists(image.Path("/opt/venv/bin/pip")), "pip is in the virtual environment");
        Assert.True(File.Exists(image.Path("/app/requirements.txt")) && File.Exists(image.Path("/app/main.py")));
        Assert.Equal("10001:10001", image.User);
        Assert.Equal(["/opt/venv/bin/python", "main.py"], image.Strings("Cmd"));
        Assert.StartsWith("/opt/venv/bin:", image.Env("PATH"));
        Assert.Equal("/opt/venv", image.Env("VIRTUAL_ENV"));
    }

    [Fact]
    public async Task CStatic_ships_one_static_binary_that_runs_anywhere()
    {
        var debian = await env.DebianAsync();
        var project = env.Project("c-static", new Dictionary<string, string>
        {
            ["build.csx"] = $$"""
                #load "../recipes/debian.csx"
                #load "../recipes/c-static.csx"
                var gcc = DebianBase(["gcc", "libc6-dev"], name: "c-toolchain", image: "{{debian}}");
                CStatic("hello", "src", from: gcc).Output("out/hello");
                """,
            ["src/main.c"] = "#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n",
            ["src/greeting.c"] = "const char *greeting(void) { return \"hello from a static binary\"; }\n",
        });

        var image = await BuildAsync(project, "hello");

        Assert.Equal(["app"], Directory.EnumerateFileSystemEntries(image.Rootfs).Select(Path.GetFileName));
        Assert.Equal(["/app"], image.Strings("Entrypoint"));
        Assert.Equal("65534:65534", image.User);
        // No interpreter, no shared library: the binary runs on the host as it is.
        Assert.False(ElfHeaders.HasInterpreter(image.Path("/app")), "a static binary names no program interpreter");
        var run = await ExternalTool.RunAsync(image.Path("/app"));
        Assert.Equal("hello from a static binary", run.EnsureSuccess().StandardOutput.Trim());
    }

    [Fact]
    public async Task StaticSite_serves_the_folder_with_busybox_httpd_as_nobody()
    {
        var project = env.Project("static-site", new Dictionary<string, string>
        {
            ["build.csx"] = """
                #load "../recipes/busybox.csx"
                #load "../recipes/static-site.csx"
                StaticSite("site", "site", port: "8081", from: BusyboxBase()).Output("out/site");
                """,
            ["site/index.html"] = "<h1>served by busybox</h1>\n",
            ["site/css/site.css"] = "h1 { color: teal; }\n",
        });

        var image = await BuildAsync(project, "site");

        Assert.Equal("<h1>served by busybox</h1>\n", await File.ReadAllTextAsync(image.Path("/srv/www/index.html")));
        Assert.True(File.Exists(image.Path("/srv/www/css/site.css")));
        Assert.Equal("65534:65534", image.User);
        Assert.Equal(["httpd", "-f", "-v", "-p", "8081", "-h", "/srv/www"], image.Strings("Entrypoint"));
        Assert.True(image.Config.GetProperty("ExposedPorts").TryGetProperty("8081/tcp", out _));

        // The image's own busybox serves the image's own folder: start it the way the entrypoint does.
        var port = FreePort.Next();
        var start = new ProcessStartInfo(image.Path("/bin/busybox")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "httpd", "-f", "-p", $"127.0.0.1:{port}", "-h", image.Path("/srv/www") }) start.ArgumentList.Add(argument);
        using var server = Process.Start(start)!;
        try
        {
            using var http = new HttpClient();
            string? body = null;
            for (var attempt = 0; attempt < 50 && body is null; attempt++)
            {
                try { body = await http.GetStringAsync($"http://127.0.0.1:{port}/index.html"); }
                catch (HttpRequestException) { await Task.Delay(100); }
            }
            Assert.Equal("<h1>served by busybox</h1>\n", body);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
