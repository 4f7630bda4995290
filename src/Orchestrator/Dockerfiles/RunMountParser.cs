using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Reads <c>RUN --mount=…</c> values into <see cref="RunOptions"/>: <c>type=secret,id=…[,target=…][,required]</c>,
/// <c>type=cache,target=…[,id=…][,sharing=shared|private|locked][,uid=…][,gid=…][,mode=…]</c>, <c>[type=bind,]target=…[,source=…][,from=…][,rw]</c>,
/// <c>type=tmpfs,target=…[,size=…]</c> and <c>type=ssh[,id=…][,target=…][,required]</c>. Options BuildKit has that
/// this builder does not apply (a cache's <c>from</c>, <c>source</c> and <c>readonly</c>, bind and secret owners and modes)
/// are refused by name.
/// </summary>
internal static class RunMountParser
{
    /// <param name="resolveFrom">Resolves a bind mount's <c>from=</c> (an earlier stage by name or index, or an image).</param>
    public static RunOptions Apply(RunOptions options, string mount, SourceLocation at, Func<string, ImageSource> resolveFrom)
    {
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in mount.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var assignment = DockerfileWords.SplitAssignment(field);
            var key = (assignment?.Key ?? field).ToLowerInvariant();
            key = key is "dst" or "destination" ? "target" : key;
            if (!fields.TryAdd(key, assignment?.Value))
                throw DockerfileParser.Error(at, $"RUN --mount={mount}: '{key}' is given twice");
        }

        var type = fields.Remove("type", out var t) ? t?.ToLowerInvariant() : "bind";
        switch (type)
        {
            case "secret":
            {
                var id = Take(fields, "id");
                var target = Take(fields, "target");
                if (id is null && target is null)
                    throw DockerfileParser.Error(at, $"RUN --mount={mount}: a secret mount needs id=NAME (or target=PATH)");
                var required = TakeBool(fields, "required", mount, at);
                Reject(fields, mount, at, "type=secret accepts id, target, required");
                // BuildKit names a secret after its target file when no id is given.
                var secret = new SecretMount(id ?? Path.GetFileName(target!), target, required);
                return options with { Secrets = options.Secrets.Add(secret) };
            }
            case "cache":
            {
                var target = Take(fields, "target")
                    ?? throw DockerfileParser.Error(at, $"RUN --mount={mount}: a cache mount needs target=PATH");
                var id = Take(fields, "id");
                var sharing = Take(fields, "sharing")?.ToLowerInvariant() ?? "shared";
                if (sharing is not ("shared" or "private" or "locked"))
                    throw DockerfileParser.Error(at, $"RUN --mount={mount}: sharing must be shared, private or locked, not '{sharing}'");
                var uid = TakeId(fields, "uid", mount, at);
                var gid = TakeId(fields, "gid", mount, at);
                var mode = Take(fields, "mode");
                if (mode is not null && CacheMount.ParseMode(mode) is null)
                    throw DockerfileParser.Error(at, $"RUN --mount={mount}: mode must be octal permission bits (0755, 0700), not '{mode}'");
                Reject(fields, mount, at, "type=cache accepts target, id, sharing, uid, gid, mode");
                return options with { CacheMounts = options.CacheMounts.Add(new CacheMount(target, id, sharing, uid, gid, mode)) };
            }
            case "bind":
            {
                var target = Take(fields, "target")
                    ?? throw DockerfileParser.Error(at, $"RUN --mount={mount}: a bind mount needs target=PATH");
                var source = Take(fields, "source") ?? Take(fields, "src");
                var from = Take(fields, "from") is { } text ? resolveFrom(text) : null;
                var readWrite = TakeBool(fields, "rw", mount, at) | TakeBool(fields, "readwrite", mount, at);
                if (TakeBool(fields, "ro", mount, at) | TakeBool(fields, "readonly", mount, at)) readWrite = false;
                Reject(fields, mount, at, "type=bind accepts target, source, from, rw");
                return options with { Binds = options.Binds.Add(new BindMount(target, source, from, readWrite)) };
            }
            case "tmpfs":
            {
                var target = Take(fields, "target")
                    ?? throw DockerfileParser.Error(at, $"RUN --mount={mount}: a tmpfs mount needs target=PATH");
                var size = Take(fields, "size") is { } sizeText ? Bytes(sizeText, mount, at) : (long?)null;
                Reject(fields, mount, at, "type=tmpfs accepts target, size");
                return options with { TmpfsMounts = options.TmpfsMounts.Add(new TmpfsMount(target, size)) };
            }
            case "ssh":
            {
                var id = Take(fields, "id") ?? "default";
                var target = Take(fields, "target");
                var required = TakeBool(fields, "required", mount, at);
                Reject(fields, mount, at, "type=ssh accepts id, target, required");
                return options with { SshMounts = options.SshMounts.Add(new SshMount(id, target, required)) };
            }
            default:
                throw DockerfileParser.Error(at, $"RUN --mount=type={type} is not supported; use type=bind, cache, tmpfs, secret or ssh");
        }
    }

    /// <summary>A size as Docker writes it (<c>64m</c>, <c>1g</c>, <c>512k</c>, <c>100000</c>): binary units, case-insensitive, an optional <c>b</c>/<c>ib</c>.</summary>
    private static long Bytes(string text, string mount, SourceLocation at)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (!match.Success)
            throw DockerfileParser.Error(at, $"RUN --mount={mount}: size '{text}' is not a size; write it like 64m, 1g or 1048576");
        var unit = match.Groups[2].Value.ToLowerInvariant() switch { "k" => 1L << 10, "m" => 1L << 20, "g" => 1L << 30, "t" => 1L << 40, "p" => 1L << 50, _ => 1L };
        var bytes = (long)(double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * unit);
        if (bytes <= 0)
            throw DockerfileParser.Error(at, $"RUN --mount={mount}: size must be more than zero");
        return bytes;
    }

    private static string? Take(Dictionary<string, string?> fields, string key) =>
        fields.Remove(key, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static int? TakeId(Dictionary<string, string?> fields, string key, string mount, SourceLocation at) =>
        Take(fields, key) is not { } text ? null
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id
        : throw DockerfileParser.Error(at, $"RUN --mount={mount}: {key} must be a number, not '{text}'");

    private static bool TakeBool(Dictionary<string, string?> fields, string key, string mount, SourceLocation at)
    {
        if (!fields.Remove(key, out var value)) return false;
        return value?.ToLowerInvariant() switch
        {
            null or "" or "true" => true,
            "false" => false,
            _ => throw DockerfileParser.Error(at, $"RUN --mount={mount}: {key} takes true or false, not '{value}'"),
        };
    }

    private static void Reject(Dictionary<string, string?> fields, string mount, SourceLocation at, string accepted)
    {
        if (fields.Count > 0)
            throw DockerfileParser.Error(at, $"RUN --mount={mount}: option '{fields.Keys.First()}' is not supported; {accepted}");
    }
}
