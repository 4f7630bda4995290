using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Reads <c>RUN --mount=…</c> values into <see cref="RunOptions"/>: <c>type=secret,id=…[,target=…][,required]</c> and
/// <c>type=cache,target=…[,id=…][,sharing=shared|private|locked]</c>. Other mount types are refused by name.
/// </summary>
internal static class RunMountParser
{
    public static RunOptions Apply(RunOptions options, string mount, SourceLocation at)
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
                Reject(fields, mount, at, "type=cache accepts target, id, sharing");
                return options with { CacheMounts = options.CacheMounts.Add(new CacheMount(target, id, sharing)) };
            }
            default:
                throw DockerfileParser.Error(at, $"RUN --mount=type={type} is not supported; use type=secret or type=cache (copy files in with COPY instead of bind mounts)");
        }
    }

    private static string? Take(Dictionary<string, string?> fields, string key) =>
        fields.Remove(key, out var value) && !string.IsNullOrEmpty(value) ? value : null;

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
