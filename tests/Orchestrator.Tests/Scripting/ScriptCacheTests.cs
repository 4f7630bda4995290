using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Tests.Scripting;

[Collection(ScriptingCollection.Name)]
public sealed class ScriptCacheTests : IDisposable
{
    private readonly ScriptFolder _folder = new();
    private readonly ScriptHost _host = new();

    public void Dispose() => _folder.Dispose();

    private static readonly RecipeValidationOptions NoPush = new() { Push = false };

    private ScriptHostOptions Cached => new() { CacheDirectory = _folder.CacheDirectory };

    private Task<ScriptEvaluation> EvaluateAsync(string script, ScriptHostOptions? options = null) =>
        _host.EvaluateAsync(script, options ?? Cached, CancellationToken.None);

    private string EntryDirectory() => Assert.Single(Directory.GetDirectories(Path.Combine(_folder.CacheDirectory, "scripts")));

    [Fact]
    public async Task Second_evaluation_comes_from_the_cache_without_compiling()
    {
        var script = _folder.Write("build.csx", """
            var version = Arg("VERSION", "dev");
            Image("api").From("busybox").Run("echo hi").Destination($"registry.example.com/api:{version}");
            """);

        var first = await EvaluateAsync(script);
        var compilations = ScriptCompiler.CompilationCount;
        var second = await EvaluateAsync(script, Cached with { BuildArgs = new Dictionary<string, string> { ["VERSION"] = "2.0" } });

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(compilations, ScriptCompiler.CompilationCount);
        Assert.Equal(["registry.example.com/api:2.0"], second.Globals.Build(NoPush).Get("api").Destinations);
        Assert.Equal([script], second.SourceFiles);
        var entry = EntryDirectory();
        Assert.Equal(["manifest.txt", "script.dll", "script.pdb"], Directory.GetFiles(entry).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Without_a_cache_directory_every_evaluation_compiles()
    {
        var script = _folder.Write("build.csx", """Image("api").From("busybox");""");

        var compilations = ScriptCompiler.CompilationCount;
        var first = await EvaluateAsync(script, new ScriptHostOptions());
        var second = await EvaluateAsync(script, new ScriptHostOptions());

        Assert.False(first.FromCache);
        Assert.False(second.FromCache);
        Assert.Equal(compilations + 2, ScriptCompiler.CompilationCount);
        Assert.False(Directory.Exists(_folder.CacheDirectory));
    }

    [Fact]
    public async Task Changing_the_root_script_misses()
    {
        var script = _folder.Write("build.csx", """Image("api").From("busybox:1.35");""");
        await EvaluateAsync(script);

        _folder.Write("build.csx", """Image("api").From("busybox:1.36");""");
        var changed = await EvaluateAsync(script);
        var again = await EvaluateAsync(script);

        Assert.False(changed.FromCache);
        Assert.Equal(new ImageSource.Registry("busybox:1.36"), changed.Globals.Build(NoPush).Get("api").Base);
        Assert.True(again.FromCache);
    }

    [Fact]
    public async Task Changing_any_loaded_file_misses_and_replaces_the_entry()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/node.csx"
            NodeApp("web");
            """);
        _folder.Write("recipes/node.csx", """
            #load "lib/base.csx"
            RecipeBuilder NodeApp(string name) => Image(name).From(BaseImage);
            """);
        _folder.Write("recipes/lib/base.csx", """var BaseImage = "node:20";""");
        Assert.False((await EvaluateAsync(script)).FromCache);
        Assert.True((await EvaluateAsync(script)).FromCache);

        _folder.Write("recipes/lib/base.csx", """var BaseImage = "node:22";""");
        var changedDeep = await EvaluateAsync(script);
        Assert.False(changedDeep.FromCache);
        Assert.Equal(new ImageSource.Registry("node:22"), changedDeep.Globals.Build(NoPush).Get("web").Base);
        Assert.True((await EvaluateAsync(script)).FromCache);

        _folder.Write("recipes/node.csx", """
            #load "lib/base.csx"
            RecipeBuilder NodeApp(string name) => Image(name).From(BaseImage).Workdir("/app");
            """);
        var changedMiddle = await EvaluateAsync(script);
        Assert.False(changedMiddle.FromCache);
        Assert.IsType<WorkdirInstruction>(Assert.Single(changedMiddle.Globals.Build(NoPush).Get("web").Instructions));
        var hit = await EvaluateAsync(script);
        Assert.True(hit.FromCache);
        Assert.IsType<WorkdirInstruction>(Assert.Single(hit.Globals.Build(NoPush).Get("web").Instructions));

        EntryDirectory();
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folder.CacheDirectory, "scripts"), ".*"));
    }

    [Fact]
    public async Task Deleting_a_loaded_file_misses_and_reports_the_compile_error()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/lib.csx"
            Image("api").From(BaseImage);
            """);
        var library = _folder.Write("recipes/lib.csx", """var BaseImage = "busybox";""");
        await EvaluateAsync(script);

        File.Delete(library);

        var error = await Assert.ThrowsAsync<ScriptCompilationException>(() => EvaluateAsync(script));
        Assert.Contains(error.Errors, d => d.Id == "CS1504" && d.Line == 1);
    }

    [Fact]
    public async Task Changing_a_referenced_assembly_misses_and_the_cached_script_resolves_it()
    {
        var assembly = _folder.PathOf("tools/Greeting.dll");
        TestAssemblies.WriteGreeting(assembly, "hello");
        var script = _folder.Write("build.csx", """
            #r "tools/Greeting.dll"
            Image("web").From("busybox").Label("greeting", Greeting.Greeter.Greet("web"));
            """);
        static string Greeting(ScriptEvaluation e) => ((LabelInstruction)e.Globals.Build(NoPush).Get("web").Instructions.Single()).Labels.Single().Value;

        await EvaluateAsync(script);
        var hit = await EvaluateAsync(script);
        TestAssemblies.WriteGreeting(assembly, "bonjour");
        var changed = await EvaluateAsync(script);

        Assert.True(hit.FromCache);
        Assert.Equal("hello web", Greeting(hit));
        Assert.False(changed.FromCache);
        Assert.Equal("bonjour web", Greeting(changed));
    }

    [Theory]
    [InlineData("script.dll")]
    [InlineData("script.pdb")]
    [InlineData("manifest.txt")]
    public async Task A_corrupt_entry_is_a_miss_and_is_replaced(string damagedFile)
    {
        var script = _folder.Write("build.csx", """Image("api").From("busybox").Run("echo hi");""");
        await EvaluateAsync(script);
        var damaged = Path.Combine(EntryDirectory(), damagedFile);
        var bytes = await File.ReadAllBytesAsync(damaged);
        await File.WriteAllBytesAsync(damaged, bytes[..(bytes.Length / 2)]);

        var afterDamage = await EvaluateAsync(script);
        var repaired = await EvaluateAsync(script);

        Assert.False(afterDamage.FromCache);
        Assert.Single(afterDamage.Globals.Build(NoPush).Get("api").Instructions);
        Assert.True(repaired.FromCache);
        Assert.Single(repaired.Globals.Build(NoPush).Get("api").Instructions);
    }

    [Fact]
    public async Task The_key_depends_on_the_script_path()
    {
        var first = _folder.Write("a/build.csx", """Image("api").From("busybox");""");
        var second = _folder.Write("b/build.csx", """Image("api").From("busybox");""");

        await EvaluateAsync(first);
        var other = await EvaluateAsync(second);

        Assert.False(other.FromCache);
        Assert.Equal(_folder.PathOf("b"), other.Globals.BaseDirectory);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_folder.CacheDirectory, "scripts")).Length);
    }

    [Fact]
    public async Task Concurrent_evaluations_of_one_script_all_succeed_and_leave_one_entry()
    {
        var script = _folder.Write("build.csx", """Image("api").From("busybox").Run("echo hi");""");

        var evaluations = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EvaluateAsync(script))));
        var after = await EvaluateAsync(script);

        Assert.All(evaluations, e => Assert.Single(e.Globals.Build(NoPush).Get("api").Instructions));
        Assert.True(after.FromCache);
        EntryDirectory();
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folder.CacheDirectory, "scripts"), ".*"));
    }

    [Fact]
    public async Task An_unwritable_cache_does_not_fail_the_evaluation()
    {
        var script = _folder.Write("build.csx", """Image("api").From("busybox");""");
        var blocked = _folder.Write("not-a-folder", "a file where the cache folder should be");

        var evaluation = await EvaluateAsync(script, new ScriptHostOptions { CacheDirectory = blocked });

        Assert.False(evaluation.FromCache);
        Assert.NotNull(evaluation.CacheWriteError);
        Assert.Equal("api", evaluation.Globals.Build(NoPush).Stages.Single().Name);
    }
}
