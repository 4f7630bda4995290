using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Caching;

/// <summary>A temporary build context and cache folder, and a way to key stages over them.</summary>
internal sealed class KeyTestContext : IDisposable
{
    public KeyTestContext()
    {
        Root = Directory.CreateTempSubdirectory("orchestrator-keys-").FullName;
        Context = Directory.CreateDirectory(Path.Combine(Root, "context")).FullName;
        Cache = Path.Combine(Root, "cache");
    }

    public string Root { get; }

    public string Context { get; }

    public string Cache { get; }

    public TestKeyInputs Inputs { get; } = new();

    /// <summary>The hasher of the last computation (its counters say what it read).</summary>
    public FileContentHasher? LastHasher { get; private set; }

    public string Write(string relative, string content, string? folder = null)
    {
        var path = Path.Combine(folder ?? Context, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public StageRecipe Stage(params Instruction[] steps) => Stage("app", new ImageSource.Registry("debian:bookworm"), steps);

    public StageRecipe Stage(string name, ImageSource from, params Instruction[] steps) =>
        new(name, true, from, steps.ToEquatableArray(), SourceLocation.Unknown) { Context = Context };

    /// <param name="racyWindow">Zero by default: the files here were just written, and the tests want them memoised.</param>
    public async Task<IReadOnlyDictionary<string, StageCacheKeys>> KeysAsync(IReadOnlyList<StageRecipe> stages, TimeSpan? racyWindow = null, Platform? platform = null)
    {
        LastHasher = new FileContentHasher(Cache, racyWindow: racyWindow ?? TimeSpan.Zero);
        return await new CacheKeyChain(Inputs, new CopySourceHasher(LastHasher)).ComputeAsync(stages, platform ?? Platform.LinuxAmd64, CancellationToken.None);
    }

    public async Task<StageCacheKeys> KeysAsync(StageRecipe stage, TimeSpan? racyWindow = null) => (await KeysAsync([stage], racyWindow))[stage.Name];

    /// <summary>Each step's key digest (null while pending).</summary>
    public async Task<Digest?[]> DigestsAsync(StageRecipe stage, TimeSpan? racyWindow = null) =>
        (await KeysAsync(stage, racyWindow)).Steps.Select(s => s.Key?.Digest).ToArray();

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Inputs from outside the recipe, as a test sets them.</summary>
internal sealed class TestKeyInputs : ICacheKeyInputs
{
    public Dictionary<string, Digest> Bases { get; } = new(StringComparer.Ordinal);

    public Func<CopyFromRequest, SelectionDigest?> CopiedContent { get; set; } = _ => null;

    public Dictionary<string, UrlValidator> Validators { get; } = new(StringComparer.Ordinal);

    public Task<Digest> ResolveBaseAsync(ImageSource source, Platform platform, CancellationToken cancellationToken) =>
        Task.FromResult(Bases.TryGetValue(source.ToString()!, out var digest) ? digest : CacheKeyTestData.BaseDigest);

    public Task<SelectionDigest?> CopiedContentAsync(CopyFromRequest request, CancellationToken cancellationToken) => Task.FromResult(CopiedContent(request));

    public Task<UrlValidator?> ValidateUrlAsync(string url, CancellationToken cancellationToken) => Task.FromResult(Validators.GetValueOrDefault(url));
}
