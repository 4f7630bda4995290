// Cache-repo lookups per second: pushes COUNT config-only entries to REPOSITORY, then looks all COUNT keys up in
// one call (one wave, as a build does) from a fresh client pool, three times, and prints the best keys/s.
//   CacheLookups <repository> <count>
using System.Diagnostics;
using System.Text;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

if (args is not [var repositoryText, var countText] || !int.TryParse(countText, out var count))
{
    Console.Error.WriteLine("usage: CacheLookups <repository> <count>");
    return 2;
}
var repository = ImageReference.Parse(repositoryText);
var options = RegistryClientOptions.FromEnvironment();
var keys = Enumerable.Range(0, count)
    .Select(i => new CacheKey(Digest.Sha256(Encoding.UTF8.GetBytes($"lookup bench {i} {Guid.NewGuid()}")), [new CacheKeyPart("instruction", "ENV")]))
    .ToList();
var noBlobs = new LocalBlobStore(Directory.CreateTempSubdirectory("cache-lookups-").FullName);

using (var pool = new RegistryClientPool(options))
{
    var cache = new RegistryCacheRepository(pool, repository);
    await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        await cache.PutAsync(key, null, null, noBlobs, Platform.LinuxAmd64, ct));
}

var best = TimeSpan.MaxValue;
for (var round = 0; round < 3; round++)
{
    using var pool = new RegistryClientPool(options);
    var cache = new RegistryCacheRepository(pool, repository);
    var clock = Stopwatch.StartNew();
    var hits = await cache.LookupAsync(keys.Select(k => k.Digest), CancellationToken.None);
    clock.Stop();
    if (hits.Count != count) throw new InvalidOperationException($"{hits.Count} of {count} keys found");
    if (clock.Elapsed < best) best = clock.Elapsed;
}
Console.WriteLine($"{count} cache-repo lookups in one wave: {best.TotalSeconds:0.000} s, {count / best.TotalSeconds:0} keys/s (best of 3, fresh connections each)");
return 0;
