using System.Text;
using Orchestrator.Caching;
using Orchestrator.Cli;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>Writes cache entries of known ages into a real registry (the entries' clock is set back) and prunes them with the CLI.</summary>
internal static class CacheRepositoryEntries
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public static CacheKey Key(string text) =>
        new(Digest.Sha256(Encoding.UTF8.GetBytes(text)), [new CacheKeyPart("instruction", "RUN")]);

    /// <summary>Pushes a config-only entry for <paramref name="key"/> created <paramref name="age"/> ago; returns its tag.</summary>
    public static async Task<string> PutAsync(RegistryClientPool registries, ImageReference repository, string key, TimeSpan age, string blobFolder)
    {
        var cache = new RegistryCacheRepository(registries, repository, clock: new FixedClock(Now - age));
        var cacheKey = Key(key);
        await cache.PutAsync(cacheKey, null, null, new LocalBlobStore(blobFolder), Platform.LinuxAmd64, CancellationToken.None);
        return RegistryCacheRepository.TagOf(cacheKey.Digest);
    }

    public static async Task<(int Code, string Output, string Error)> PruneAsync(params string[] arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["cache", "prune", .. arguments], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary><c>cache prune --cache-repo</c> against a registry that allows deletion.</summary>
public sealed class RegistryCachePruneTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RegistryClientPool _registries = new(new RegistryClientOptions { Retry = RetryOptions.Fast });

    public void Dispose()
    {
        _registries.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Prune_deletes_the_entries_created_longer_ago_than_older_than_and_nothing_else()
    {
        var repository = ImageReference.Parse($"{registry.Address}/prune/cache");
        var old1 = await CacheRepositoryEntries.PutAsync(_registries, repository, "old-1", TimeSpan.FromHours(400), _temp.Path);
        var old2 = await CacheRepositoryEntries.PutAsync(_registries, repository, "old-2", TimeSpan.FromHours(337), _temp.Path);
        var fresh = await CacheRepositoryEntries.PutAsync(_registries, repository, "fresh", TimeSpan.FromHours(300), _temp.Path);
        // A tag that is not an entry (another image pushed to the repository) stays, however old its manifest.
        var client = _registries.For(repository);
        var entry = await client.GetManifestAsync(repository.Repository, old1);
        await client.PutManifestAsync(repository.Repository, "release", ManifestDocument.From(entry.AsManifest() with { Annotations = null }));

        var (code, output, error) = await CacheRepositoryEntries.PruneAsync("--cache-repo", repository.ToString(), "--older-than", "336h");

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Contains("3 cache entries, 2 older than 336h, 2 deleted", output);
        var tags = await client.ListTagsAsync(repository.Repository);
        Assert.Equal(new[] { fresh, "release" }.Order(StringComparer.Ordinal), tags.Order(StringComparer.Ordinal));
        Assert.Null(await client.TryGetManifestAsync(repository.Repository, old2));

        // Kaniko's time to live is the default age; the fresh entry is not that old.
        var again = await CacheRepositoryEntries.PruneAsync("--cache-repo", repository.ToString());
        Assert.Equal(ExitCodes.Ok, again.Code);
        Assert.Contains("1 cache entries, 0 older than 336h, 0 deleted", again.Output);
    }

    [Fact]
    public async Task A_bad_older_than_or_a_local_option_with_cache_repo_is_a_usage_error_naming_the_option()
    {
        var repository = $"{registry.Address}/prune/usage";

        var duration = await CacheRepositoryEntries.PruneAsync("--cache-repo", repository, "--older-than", "two weeks");
        var keep = await CacheRepositoryEntries.PruneAsync("--cache-repo", repository, "--keep-storage", "1GB");

        Assert.Equal(ExitCodes.UsageError, duration.Code);
        Assert.Contains("--older-than 'two weeks' is not a duration", duration.Error);
        Assert.Equal(ExitCodes.UsageError, keep.Code);
        Assert.Contains("--keep-storage and --all apply to the local cache folder", keep.Error);
    }
}

/// <summary><c>cache prune --cache-repo</c> against a registry configured to refuse deletion (distribution's default).</summary>
public sealed class RegistryCachePruneRefusedTests(RegistryWithoutDeletionFixture registry) : IClassFixture<RegistryWithoutDeletionFixture>, IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RegistryClientPool _registries = new(new RegistryClientOptions { Retry = RetryOptions.Fast });

    public void Dispose()
    {
        _registries.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_registry_that_refuses_deletion_is_named_with_the_fix_the_exit_code_is_1_and_the_tags_stay()
    {
        var repository = ImageReference.Parse($"{registry.Address}/prune/cache");
        var old = await CacheRepositoryEntries.PutAsync(_registries, repository, "old", TimeSpan.FromHours(500), _temp.Path);
        var fresh = await CacheRepositoryEntries.PutAsync(_registries, repository, "fresh", TimeSpan.FromHours(1), _temp.Path);

        var (code, output, error) = await CacheRepositoryEntries.PruneAsync("--cache-repo", repository.ToString(), "--older-than", "72h");

        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("1 older than 72h, 0 deleted", output);
        Assert.Contains("1 expired entries were kept", error);
        Assert.Contains("HTTP 405", error);
        Assert.Contains("storage.delete.enabled: true", error);
        Assert.Contains(registry.Address, error);
        var tags = await _registries.For(repository).ListTagsAsync(repository.Repository);
        Assert.Equal(new[] { old, fresh }.Order(StringComparer.Ordinal), tags.Order(StringComparer.Ordinal));
    }
}
