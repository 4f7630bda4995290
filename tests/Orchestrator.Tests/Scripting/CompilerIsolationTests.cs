using Orchestrator.Scripting;

namespace Orchestrator.Tests.Scripting;

/// <summary>A cache hit must not load the compiler at all: that is what makes a cached evaluation fast in a fresh process.</summary>
[Collection(ScriptingCollection.Name)]
public sealed class CompilerIsolationTests : IDisposable
{
    private readonly ScriptFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_cache_hit_does_not_load_the_compiler_assemblies_and_a_miss_does()
    {
        _folder.Write("recipes/base.csx", """var BaseImage = "busybox:1.36";""");
        var cachedScript = _folder.Write("cached/build.csx", """
            #load "../recipes/base.csx"
            Image("api").From(BaseImage).Destination("registry.example.com/api:1", "registry.example.com/api:latest");
            """);
        var uncachedScript = _folder.Write("uncached/build.csx", """Image("web").From("busybox");""");
        var warmUp = await new ScriptHost().EvaluateAsync(cachedScript, new ScriptHostOptions { CacheDirectory = _folder.CacheDirectory }, CancellationToken.None);
        Assert.False(warmUp.FromCache);

        var isolated = new IsolatedEngineContext();
        var hit = await isolated.EvaluateAsync(cachedScript, _folder.CacheDirectory);
        var loadedAfterHit = isolated.LoadedNames;
        var miss = await isolated.EvaluateAsync(uncachedScript, _folder.CacheDirectory);
        var loadedAfterMiss = isolated.LoadedNames;

        Assert.True(hit);
        Assert.Contains("Orchestrator.Scripting", loadedAfterHit);
        Assert.Contains("Orchestrator", loadedAfterHit);
        Assert.DoesNotContain(loadedAfterHit, name => name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
        Assert.False(miss);
        Assert.Contains("Microsoft.CodeAnalysis.CSharp.Scripting", loadedAfterMiss);
    }
}
