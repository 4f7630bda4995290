using System.CommandLine;
using System.Text.Json;
using Orchestrator.Caching;
using Orchestrator.Execution;
using Orchestrator.Hosting;
using Orchestrator.Oci;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Cli;

/// <summary>
/// <c>dotnet orchestrate cache du|prune</c>: what the local cache folder holds, and keeping it (or a cache
/// repository) small. Pruning the local folder waits until no build uses it (<see cref="CacheDirectoryLock"/>).
/// </summary>
internal sealed class CacheCommand(TextWriter stdout, TextWriter stderr)
{
    private readonly Option<string?> _cacheDir = new("--cache-dir") { Description = "Local cache folder (default: $XDG_CACHE_HOME/orchestrator)." };

    private readonly Option<string> _format = new("--format") { Description = "Output: text or json.", DefaultValueFactory = _ => "text" };

    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "List every item with its size and last use." };

    private readonly Option<string?> _keepStorage = new("--keep-storage") { Description = "Remove the least recently used items until the cache holds at most SIZE (10GB, 500MB, 2GiB)." };

    private readonly Option<string?> _olderThan = new("--older-than") { Description = "Remove what was not used for DURATION (72h, 1h30m, 14d); with --cache-repo, the entries created longer ago (default there: 336h)." };

    private readonly Option<bool> _all = new("--all") { Description = "Remove everything cached locally (compiled scripts included)." };

    private readonly Option<string?> _cacheRepo = new("--cache-repo") { Description = "Prune this cache repository (registry) instead of the local folder: delete entries older than --older-than." };

    private readonly Option<string[]> _insecure = new("--insecure-registry") { Description = "Use plain HTTP for this registry host[:port] (repeatable).", Arity = ArgumentArity.ZeroOrMore };

    public Command Create()
    {
        var cache = new Command("cache", "Show or prune the local cache folder, or prune a cache repository.");

        var du = new Command("du", "Show what the local cache folder holds, by kind, with sizes.");
        foreach (var option in new Option[] { _cacheDir, _format, _verbose }) du.Options.Add(option);
        _format.Validators.Add(result => BuildCommand.OneOf(result, "--format", "text", "json"));
        du.SetAction((result, _) => Task.FromResult(Usage(result.GetValue(_cacheDir), result.GetValue(_format)!, result.GetValue(_verbose))));

        var prune = new Command("prune",
            "Remove cached items: least recently used first with --keep-storage, unused ones with --older-than, everything with --all; "
            + "without these, the policy applied after every build (at most 10% of the disk or 20 GB, whichever is smaller). "
            + "Waits until no build uses the folder. With --cache-repo, deletes the repository's expired entries instead "
            + "(exit code 1 when the registry refuses deletion).");
        foreach (var option in new Option[] { _cacheDir, _keepStorage, _olderThan, _all, _cacheRepo, _insecure }) prune.Options.Add(option);
        prune.SetAction((result, token) => PruneAsync(result, token));

        cache.Subcommands.Add(du);
        cache.Subcommands.Add(prune);
        return cache;
    }

    private static string CacheDirectory(string? given) => Path.GetFullPath(given ?? LocalBuildOptions.DefaultCacheDirectory);

    /// <summary>A folder given with --cache-dir must exist (a typo should not look like an empty cache); the default may not exist yet.</summary>
    private bool Exists(string? given, string folder)
    {
        if (Directory.Exists(folder)) return true;
        if (given is not null) throw new OrchestratorException($"cache folder '{given}' does not exist (looked at {folder}); give the folder your builds use with --cache-dir");
        stdout.WriteLine($"cache folder {folder} does not exist yet: nothing is cached");
        return false;
    }

    private int Usage(string? given, string format, bool verbose)
    {
        var folder = CacheDirectory(given);
        if (!Exists(given, folder)) return ExitCodes.Ok;
        var inventory = LocalCacheInventory.Read(folder);
        if (format == "json")
        {
            var document = new
            {
                cacheDirectory = folder,
                totalBytes = inventory.TotalSize,
                limitAfterBuildsBytes = CacheMaintenance.Limit(folder),
                kinds = inventory.ByKind().Select(k => new { kind = CacheMaintenance.KindName(k.Kind), count = k.Count, bytes = k.Size }),
                items = verbose ? inventory.Items.Select(i => new { kind = CacheMaintenance.KindName(i.Kind), name = i.Name, bytes = i.Size, lastUse = i.LastUse }) : null,
            };
            stdout.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
            return ExitCodes.Ok;
        }
        stdout.WriteLine($"cache folder {folder}");
        stdout.WriteLine($"{"KIND",-16} {"COUNT",8} {"SIZE",12}");
        foreach (var (kind, count, size) in inventory.ByKind())
            stdout.WriteLine($"{CacheMaintenance.KindName(kind),-16} {count,8} {SizeAndDuration.FormatSize(size),12}");
        stdout.WriteLine($"{"total",-16} {inventory.Items.Count,8} {SizeAndDuration.FormatSize(inventory.TotalSize),12}");
        stdout.WriteLine(CacheMaintenance.Limit(folder) is { } limit
            ? $"kept after each build: at most {SizeAndDuration.FormatSize(limit)} ({(Environment.GetEnvironmentVariable(CacheMaintenance.Variable) is { Length: > 0 } ? CacheMaintenance.Variable : "10% of the disk or 20 GB, whichever is smaller")})"
            : $"kept after each build: no limit ({CacheMaintenance.Variable}=off)");
        if (verbose)
            foreach (var item in inventory.Items.OrderBy(i => i.Kind).ThenByDescending(i => i.LastUse))
                stdout.WriteLine($"  {CacheMaintenance.KindName(item.Kind),-14} {SizeAndDuration.FormatSize(item.Size),12}  {item.LastUse:yyyy-MM-dd HH:mm:ss}Z  {item.Name}");
        return ExitCodes.Ok;
    }

    private async Task<int> PruneAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var olderThanText = result.GetValue(_olderThan);
        TimeSpan? olderThan = null;
        if (olderThanText is not null)
        {
            if (!SizeAndDuration.TryParseDuration(olderThanText, out var parsed))
                throw new OrchestratorException($"--older-than '{olderThanText}' is not a duration; write it as 72h, 1h30m or 14d");
            olderThan = parsed;
        }
        var keepText = result.GetValue(_keepStorage);
        long? keep = null;
        if (keepText is not null)
        {
            if (!SizeAndDuration.TryParseSize(keepText, out var bytes))
                throw new OrchestratorException($"--keep-storage '{keepText}' is not a size; write it as 10GB, 500MB or 2GiB");
            keep = bytes;
        }
        var all = result.GetValue(_all);

        if (result.GetValue(_cacheRepo) is { } repo)
        {
            if (keep is not null || all)
                throw new OrchestratorException("--keep-storage and --all apply to the local cache folder; with --cache-repo, give --older-than (default 336h)");
            return await PruneRepositoryAsync(repo, olderThan ?? RegistryCacheRepository.DefaultTimeToLive, result.GetValue(_insecure) ?? [], cancellationToken);
        }

        var given = result.GetValue(_cacheDir);
        var folder = CacheDirectory(given);
        if (!Exists(given, folder)) return ExitCodes.Ok;
        var policy = all || keep is not null || olderThan is not null
            ? new CachePrunePolicy { All = all, KeepBytes = keep, OlderThan = olderThan }
            : new CachePrunePolicy { KeepBytes = CacheMaintenance.Limit(folder) ?? CacheGarbageCollector.DefaultLimit(folder) };
        using var held = await CacheDirectoryLock.ExclusiveAsync(folder, () => stderr.WriteLine($"waiting for the builds using {folder} to end…"), cancellationToken);
        var pruned = CacheGarbageCollector.Prune(folder, policy, held);
        stdout.WriteLine(CacheMaintenance.Describe(pruned));
        return ExitCodes.Ok;
    }

    private async Task<int> PruneRepositoryAsync(string repo, TimeSpan olderThan, IReadOnlyList<string> insecure, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(repo, out var reference, out var error))
            throw new OrchestratorException($"--cache-repo '{repo}' is not a repository reference ({error}); write it as registry.example.com/team/cache");
        using var registries = new RegistryClientPool(RegistryClientOptions.FromEnvironment() with { InsecureRegistries = insecure.ToList() });
        var pruned = await new RegistryCachePruner(registries, reference).PruneAsync(olderThan, cancellationToken);
        stdout.WriteLine($"{reference.Registry}/{reference.Repository}: {pruned.Tags} tags, {pruned.Entries} cache entries, {pruned.Expired.Count} older than {olderThan.TotalHours:0.##}h, {pruned.Deleted.Count} deleted");
        foreach (var entry in pruned.Deleted)
            stdout.WriteLine($"  deleted {entry.Tag} (created {entry.Created:yyyy-MM-dd HH:mm:ss}Z)");
        if (pruned.Refusal is null) return ExitCodes.Ok;
        stderr.WriteLine($"error: {pruned.Expired.Count - pruned.Deleted.Count} expired entries were kept: {pruned.Refusal}");
        return ExitCodes.BuildFailed;
    }
}
