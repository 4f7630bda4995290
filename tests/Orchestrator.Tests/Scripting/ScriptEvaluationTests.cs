using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Tests.Scripting;

[Collection(ScriptingCollection.Name)]
public sealed class ScriptEvaluationTests : IDisposable
{
    private readonly ScriptFolder _folder = new();
    private readonly ScriptHost _host = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Globals_expose_the_recipe_dsl_with_build_args_and_the_script_folder()
    {
        var script = _folder.Write("build.csx", """
            var registry = Arg("REGISTRY", "registry.example.com/shop");
            var version = Arg("VERSION", "dev");
            var tier = Arg("TIER");
            var baseOs = Stage("base").From("busybox:1.36").Run("echo base");
            var api = Image("api").From(baseOs).Context("services/api").Label("tier", tier).Destination($"{registry}/api:{version}");
            Target("default", api);
            """);
        var options = new ScriptHostOptions
        {
            BuildArgs = new Dictionary<string, string> { ["VERSION"] = "1.2.3" },
            Environment = name => name == "TIER" ? "backend" : null,
        };

        var evaluation = await _host.EvaluateAsync(script, options, CancellationToken.None);
        var set = evaluation.Globals.Build();

        Assert.Equal(_folder.Root, evaluation.Globals.BaseDirectory);
        Assert.Equal(script, evaluation.Globals.ScriptPath);
        Assert.False(evaluation.FromCache);
        Assert.Equal(["base", "api"], set.Stages.Select(s => s.Name));
        var api = set.Get("api");
        Assert.Equal(["registry.example.com/shop/api:1.2.3"], api.Destinations);
        Assert.Equal(Path.Combine(_folder.Root, "services", "api"), api.Context);
        Assert.Equal("backend", Assert.IsType<LabelInstruction>(Assert.Single(api.Instructions)).Labels.Single().Value);
        Assert.Equal("1.2.3", set.Args["VERSION"]);
        Assert.Equal("default", Assert.Single(set.Targets).Name);
    }

    [Fact]
    public async Task Default_imports_make_common_namespaces_usable_without_using_directives()
    {
        var script = _folder.Write("build.csx", """
            var names = new List<string> { "b", "a" }.OrderBy(n => n).ToArray();
            foreach (var name in names)
                Stage(name).From("busybox").Run($"echo {Path.GetFileName("/x/" + name)} {Environment.NewLine.Length}");
            await Task.Yield();
            """);

        var evaluation = await _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None);

        Assert.Equal(["a", "b"], evaluation.Globals.Build().Stages.Select(s => s.Name));
    }

    [Fact]
    public async Task Load_resolves_relative_to_the_loading_file_nests_and_loads_a_shared_file_once()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/common.csx"
            #load "recipes/node.csx"
            var web = NodeApp("web", "services/web");
            Image("api").From(Common).Destination("registry.example.com/api:1");
            """);
        _folder.Write("recipes/common.csx", """
            var Common = Stage("common").From("busybox:1.36");
            """);
        _folder.Write("recipes/node.csx", """
            #load "common.csx"
            #load "lib/npm.csx"
            RecipeBuilder NodeApp(string name, string context) =>
                Image(name).From(Common).Context(context).Run(NpmInstall()).Destination($"registry.example.com/{name}:1");
            """);
        _folder.Write("recipes/lib/npm.csx", """
            string NpmInstall() => "npm ci";
            """);

        var evaluation = await _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None);
        var set = evaluation.Globals.Build();

        Assert.Equal(["common", "web", "api"], set.Stages.Select(s => s.Name));
        var run = Assert.IsType<RunInstruction>(Assert.Single(set.Get("web").Instructions));
        Assert.Equal("npm ci", run.Command.ToString());
        Assert.Equal(script, evaluation.SourceFiles[0]);
        Assert.Equal(
            new[] { script, _folder.PathOf("recipes/common.csx"), _folder.PathOf("recipes/node.csx"), _folder.PathOf("recipes/lib/npm.csx") }.Order(StringComparer.Ordinal),
            evaluation.SourceFiles.Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(_folder.Root, "services", "web"), set.Get("web").Context);
    }

    [Fact]
    public async Task Reference_directive_loads_an_assembly_relative_to_the_script()
    {
        TestAssemblies.WriteGreeting(_folder.PathOf("tools/Greeting.dll"), "hello");
        var script = _folder.Write("build.csx", """
            #r "tools/Greeting.dll"
            Image("web").From("busybox").Label("greeting", Greeting.Greeter.Greet("web")).Destination("registry.example.com/web:1");
            """);

        var evaluation = await _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None);

        var label = Assert.IsType<LabelInstruction>(Assert.Single(evaluation.Globals.Build().Get("web").Instructions));
        Assert.Equal("hello web", label.Labels.Single().Value);
    }

    [Fact]
    public async Task Reference_directive_by_name_uses_the_framework_assembly_of_the_host()
    {
        var script = _folder.Write("build.csx", """
            #r "System.Xml.Linq"
            var element = System.Xml.Linq.XElement.Parse("<image name='web'/>");
            Image(element.Attribute("name")!.Value).From("busybox");
            """);
        var options = new ScriptHostOptions { CacheDirectory = _folder.PathOf(".cache") };

        var fresh = await _host.EvaluateAsync(script, options, CancellationToken.None);
        var cached = await _host.EvaluateAsync(script, options, CancellationToken.None);

        Assert.True(cached.FromCache);
        Assert.Equal("web", Assert.Single(fresh.Globals.Build(new RecipeValidationOptions { Push = false }).Stages).Name);
        Assert.Equal("web", Assert.Single(cached.Globals.Build(new RecipeValidationOptions { Push = false }).Stages).Name);
    }

    [Fact]
    public async Task Missing_reference_is_a_compile_error_at_the_directive()
    {
        var script = _folder.Write("build.csx", """
            // tools
            #r "tools/Missing.dll"
            Image("web").From("busybox");
            """);

        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        var diagnostic = Assert.Single(error.Errors);
        Assert.Equal((script, 2, 1), (diagnostic.File, diagnostic.Line, diagnostic.Column));
        Assert.StartsWith($"{script}(2,1): error CS0006: ", error.Message);
        Assert.Contains("Missing.dll", error.Message);
    }

    [Fact]
    public async Task Missing_load_file_is_a_compile_error_at_the_directive()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/nope.csx"
            """);

        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        Assert.StartsWith($"{script}(1,7): error CS1504: ", error.Message);
        Assert.Contains("nope.csx", error.Message);
    }

    [Fact]
    public async Task Compile_errors_list_file_line_column_and_code_for_each_error()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/lib.csx"
            var ok = 1;
               Undefined();
            int count = "text";
            """);
        var library = _folder.Write("recipes/lib.csx", """
            // library
            string Broken() => 42;
            """);

        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal(3, lines.Length);
        Assert.Contains($"{script}(3,4): error CS0103: The name 'Undefined' does not exist in the current context", lines);
        Assert.Contains(lines, l => l.StartsWith($"{script}(4,13): error CS0029: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"{library}(2,20): error CS0029: ", StringComparison.Ordinal));
        Assert.Equal(["CS0029", "CS0029", "CS0103"], error.Errors.Select(d => d.Id).Order());
        Assert.IsAssignableFrom<OrchestratorException>(error);
    }

    [Fact]
    public void Compile_error_paths_are_relative_when_inside_the_working_folder()
    {
        var inside = new ScriptDiagnostic(Path.Combine(Environment.CurrentDirectory, "sub", "build.csx"), 7, 2, true, "CS1002", "; expected");
        var outside = new ScriptDiagnostic("/elsewhere/build.csx", 7, 2, false, "CS0168", "The variable 'x' is declared but never used");

        Assert.Equal($"{Path.Combine("sub", "build.csx")}(7,2): error CS1002: ; expected", inside.ToString());
        Assert.Equal("/elsewhere/build.csx(7,2): warning CS0168: The variable 'x' is declared but never used", outside.ToString());
    }

    [Fact]
    public async Task Runtime_exceptions_are_wrapped_with_the_script_line()
    {
        var script = _folder.Write("build.csx", """
            var name = "api";
            Image(name).From("busybox");
            if (name.Length == 3) throw new InvalidOperationException("boom");
            """);

        var error = await Assert.ThrowsAsync<ScriptRuntimeException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        Assert.Equal((script, 3), (error.Location.File, error.Location.Line));
        Assert.StartsWith($"{script}(3,", error.Message);
        Assert.Contains("InvalidOperationException: boom", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public async Task Runtime_exceptions_in_a_loaded_file_name_that_file()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/lib.csx"
            var text = ReadVersion("missing-version.txt");
            """);
        var library = _folder.Write("recipes/lib.csx", """
            string ReadVersion(string path) =>
                File.ReadAllText(path);
            """);

        var error = await Assert.ThrowsAsync<ScriptRuntimeException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        Assert.Equal((library, 2), (error.Location.File, error.Location.Line));
        Assert.Equal((script, 2), (error.Location.Caller?.File, error.Location.Caller?.Line));
        Assert.EndsWith($"(called from {error.Location.Caller})", error.Message);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public async Task Orchestrator_exceptions_from_the_script_pass_through_unchanged()
    {
        var script = _folder.Write("build.csx", """
            Image("api").From("busybox");
            throw new Orchestrator.OrchestratorException("registry.example.com is not reachable; check the VPN");
            """);

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => _host.EvaluateAsync(script, new ScriptHostOptions(), CancellationToken.None));

        Assert.Equal(typeof(OrchestratorException), error.GetType());
        Assert.Equal("registry.example.com is not reachable; check the VPN", error.Message);
    }

    [Fact]
    public async Task Recipe_errors_thrown_while_the_script_runs_point_at_the_script_line()
    {
        var script = _folder.Write("build.csx", """
            Image("api").From("busybox");

            var version = Arg("VERSION");
            """);

        var error = await Assert.ThrowsAsync<RecipeException>(() => _host.EvaluateAsync(script, new ScriptHostOptions { Environment = _ => null }, CancellationToken.None));

        var location = Assert.Single(error.Errors).Location;
        Assert.Equal((script, 3), (location.File, location.Line));
        Assert.StartsWith($"{script}(3,15): error: build argument 'VERSION' has no value", error.Message);
    }

    [Fact]
    public async Task Missing_script_names_the_path()
    {
        var missing = _folder.PathOf("nope/build.csx");

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => _host.EvaluateAsync(missing, new ScriptHostOptions(), CancellationToken.None));

        Assert.Contains(missing, error.Message);
        Assert.Contains("not found", error.Message);
    }
}
