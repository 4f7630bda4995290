using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>
/// An in-process Kubernetes API server on loopback (plain HTTP), faithful for what the backend and kubectl use:
/// discovery; create/get/list/update/patch/delete of pods, secrets, configmaps, service accounts, jobs, roles
/// and role bindings; list and watch with resourceVersion, bookmarks and 410 Gone; pods/log with follow; Status
/// bodies for 400/403/404/409/410/422. RBAC is modelled as a list of denied verb/resource pairs. Its
/// <see cref="Kubelet"/> runs the pods of Jobs as real processes.
/// </summary>
public sealed class KubernetesApiEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Verb, string Resource), bool> _denied = new();
    private readonly CancellationTokenSource _stopping = new();

    private KubernetesApiEmulator(WebApplication app, EmulatedKubelet kubelet, ObjectStore store)
    {
        _app = app;
        Kubelet = kubelet;
        Store = store;
    }

    public ObjectStore Store { get; }

    public EmulatedKubelet Kubelet { get; }

    public string Url { get; private set; } = "";

    /// <summary>The user the server says was refused in 403 messages.</summary>
    public string User { get; set; } = "system:serviceaccount:builds:orchestrator";

    /// <summary>How often a watch that asked for bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Every request as "VERB path?query", for tests that check what a client asked.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Refuses <paramref name="verb"/> on <paramref name="resource"/> (e.g. <c>create</c>, <c>jobs</c>; <c>get</c>, <c>pods/log</c>) with 403.</summary>
    public void Deny(string verb, string resource) => _denied[(verb, resource)] = true;

    public void Allow(string verb, string resource) => _denied.TryRemove((verb, resource), out _);

    /// <summary>
    /// From now on only what this rbac.authorization.k8s.io/v1 Role's rules grant is allowed (apiGroups, resources
    /// with subresources, verbs, resourceNames), as the authorizer would for a subject bound to it alone; null lifts it.
    /// </summary>
    public JsonObject? EnforcedRole { get; set; }

    private bool RoleAllows(ResourceKind kind, string verb, string? name, string? sub)
    {
        if (EnforcedRole is not { } role) return true;
        var resource = sub is null ? kind.Plural : $"{kind.Plural}/{sub}";
        return (role["rules"] as JsonArray ?? []).Any(rule =>
            Has(rule!["apiGroups"], kind.Group) && Has(rule["resources"], resource) && Has(rule["verbs"], verb) &&
            (rule["resourceNames"] is not JsonArray names || (name is not null && names.Any(n => n!.GetValue<string>() == name))));

        static bool Has(JsonNode? list, string value) =>
            (list as JsonArray ?? []).Any(v => v!.GetValue<string>() is var item && (item == value || item == "*"));
    }

    /// <summary>Compacts the store and ends every open watch stream, as an API server restart after etcd compaction does: resuming from an old version gets 410 Gone.</summary>
    public void BreakWatches()
    {
        Store.Compact();
        var breaker = Interlocked.Exchange(ref _watchBreaker, new CancellationTokenSource());
        breaker.Cancel();
    }

    private CancellationTokenSource _watchBreaker = new();

    public static async Task<KubernetesApiEmulator> StartAsync(KubeletOptions kubeletOptions)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var store = new ObjectStore();
        var kubelet = new EmulatedKubelet(store, kubeletOptions);
        var emulator = new KubernetesApiEmulator(app, kubelet, store);
        app.Map("/{**path}", emulator.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.Url = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return emulator;
    }

    /// <summary>A kubeconfig that points at this server (namespace <paramref name="namespace"/>), written to <paramref name="path"/>.</summary>
    public string WriteKubeconfig(string path, string @namespace)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster:
                server: {Url}
            users:
            - name: builder
              user:
                token: emulator-token
            contexts:
            - name: emulator
              context:
                cluster: emulator
                user: builder
                namespace: {@namespace}
            current-context: emulator

            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Kubelet.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        var segments = request.Path.Value!.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (segments)
            {
                case ["version"]:
                    await Json(http, 200, new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-emulator", ["platform"] = "linux/amd64" });
                    return;
                case ["api"]:
                    await Json(http, 200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = Url.Replace("http://", "") }) });
                    return;
                case ["apis"]:
                    await Json(http, 200, GroupList());
                    return;
                case ["api", "v1"]:
                    await Json(http, 200, ResourceList("", "v1"));
                    return;
                case ["apis", var g, var v] when ResourceKind.All.Any(k => k.Group == g && k.Version == v):
                    await Json(http, 200, ResourceList(g, v));
                    return;
                case ["api", "v1", "namespaces", var ns]:
                    await Json(http, 200, new JsonObject { ["kind"] = "Namespace", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = ns }, ["status"] = new JsonObject { ["phase"] = "Active" } });
                    return;
                case ["api", "v1", "namespaces", var ns, var plural, .. var rest]:
                    await ResourceAsync(http, ResourceKind.Find("", "v1", plural), ns, plural, rest);
                    return;
                case ["apis", var g, var v, "namespaces", var ns, var plural, .. var rest]:
                    await ResourceAsync(http, ResourceKind.Find(g, v, plural), ns, plural, rest);
                    return;
                default:
                    await Json(http, 404, StatusObjects.Failure(404, "NotFound", "the server could not find the requested resource"));
                    return;
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
        }
    }

    private async Task ResourceAsync(HttpContext http, ResourceKind? kind, string ns, string plural, string[] rest)
    {
        if (kind is null)
        {
            await Json(http, 404, StatusObjects.Failure(404, "NotFound", $"the server could not find the requested resource ({plural})"));
            return;
        }
        var method = http.Request.Method;
        var query = http.Request.Query;
        var watching = query["watch"] is var w && (w == "true" || w == "1");
        var (verb, name, sub) = (rest, method) switch
        {
            ([], "GET") => (watching ? "watch" : "list", null, null),
            ([], "POST") => ("create", null, null),
            ([], "DELETE") => ("deletecollection", null, null),
            ([var n], "GET") => ("get", n, null),
            ([var n], "PUT") => ("update", n, null),
            ([var n], "PATCH") => ("patch", n, null),
            ([var n], "DELETE") => ("delete", n, null),
            ([var n, "log"], "GET") when kind.Plural == "pods" => ("get", n, "log"),
            ([var n, "status"], "GET") => ("get", n, "status"),
            _ => ((string?)null, (string?)null, (string?)null),
        };
        if (verb is null)
        {
            await Json(http, 405, StatusObjects.Failure(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource"));
            return;
        }
        if (_denied.ContainsKey((verb, sub is null ? kind.Plural : $"{kind.Plural}/{sub}")) || !RoleAllows(kind, verb, name, sub))
        {
            await Json(http, 403, StatusObjects.Forbidden(kind, verb, User, ns, sub));
            return;
        }

        switch (verb)
        {
            case "list" or "watch":
                var filter = Selectors.Parse(query["labelSelector"], query["fieldSelector"], out var selectorError);
                if (filter is null)
                {
                    await Json(http, 400, StatusObjects.Failure(400, "BadRequest", selectorError!));
                    return;
                }
                if (verb == "watch") await WatchAsync(http, kind, ns, filter);
                else await ListAsync(http, kind, ns, filter);
                return;
            case "create":
                await CreateAsync(http, kind, ns);
                return;
            case "get" when sub == "log":
                await Kubelet.ServeLogAsync(http, ns, name!, query["container"], query["follow"] == "true", int.TryParse(query["tailLines"], out var tail) ? tail : null, _stopping.Token);
                return;
            case "get":
                var item = Store.Get(kind, ns, name!);
                await (item is null ? Json(http, 404, StatusObjects.NotFound(kind, name!)) : Json(http, 200, item));
                return;
            case "update":
                await UpdateAsync(http, kind, ns, name!, merge: false);
                return;
            case "patch":
                await UpdateAsync(http, kind, ns, name!, merge: true);
                return;
            case "delete":
                await DeleteAsync(http, kind, ns, name!);
                return;
            default:
                await Json(http, 405, StatusObjects.Failure(405, "MethodNotAllowed", $"{verb} is not served by the emulator"));
                return;
        }
    }

    private async Task ListAsync(HttpContext http, ResourceKind kind, string ns, Func<JsonObject, bool> filter)
    {
        var (items, version) = Store.List(kind, ns);
        var list = new JsonObject
        {
            ["kind"] = kind.Kind + "List",
            ["apiVersion"] = kind.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString() },
            ["items"] = new JsonArray(items.Where(filter).Select(i => (JsonNode)i).ToArray()),
        };
        await Json(http, 200, list);
    }

    private async Task WatchAsync(HttpContext http, ResourceKind kind, string ns, Func<JsonObject, bool> filter)
    {
        var query = http.Request.Query;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token, _watchBreaker.Token);
        if (int.TryParse(query["timeoutSeconds"], out var seconds)) timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        await http.Response.StartAsync(timeout.Token);

        var versionText = query["resourceVersion"].ToString();
        long from;
        var initial = new List<JsonObject>();
        if (versionText is "" or "0")
        {
            (initial, from) = Store.List(kind, ns);
        }
        else if (!long.TryParse(versionText, out from))
        {
            await Event(http, "ERROR", StatusObjects.Failure(400, "BadRequest", $"invalid resource version \"{versionText}\""), timeout.Token);
            return;
        }
        var changes = Store.Subscribe(from, timeout.Token);
        if (changes is null)
        {
            await Event(http, "ERROR", StatusObjects.Gone($"too old resource version: {from} ({Store.CurrentVersion})"), timeout.Token);
            return;
        }
        foreach (var item in initial.Where(filter)) await Event(http, "ADDED", item, timeout.Token);

        var lastSent = from;
        try
        {
            while (!timeout.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                if (bookmarks) wait.CancelAfter(BookmarkInterval);
                StoreEvent change;
                try
                {
                    change = await changes.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                {
                    var mark = new JsonObject { ["kind"] = kind.Kind, ["apiVersion"] = kind.ApiVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = lastSent.ToString() } };
                    await Event(http, "BOOKMARK", mark, timeout.Token);
                    continue;
                }
                if (change.Kind != kind || change.Namespace != ns) continue;
                lastSent = change.Version;
                if (filter(change.Object)) await Event(http, change.Type, change.Object, timeout.Token);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // timeoutSeconds passed, the client went away, or the server stops: the stream just ends, as a real one does.
        }
    }

    private async Task CreateAsync(HttpContext http, ResourceKind kind, string ns)
    {
        var body = await ReadObjectAsync(http);
        if (body is null)
        {
            await Json(http, 400, StatusObjects.Failure(400, "BadRequest", "the body of the request was in an unknown format"));
            return;
        }
        var meta = ObjectStore.Metadata(body);
        if (meta["name"] is null && meta["generateName"]?.GetValue<string>() is { } prefix)
            meta["name"] = prefix + RandomSuffix();
        var name = meta["name"]?.GetValue<string>() ?? "";
        if (meta["namespace"]?.GetValue<string>() is { } bodyNamespace && bodyNamespace != ns)
        {
            await Json(http, 400, StatusObjects.Failure(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"));
            return;
        }
        if (Validate(kind, body, name) is { } invalid)
        {
            await Json(http, 422, invalid);
            return;
        }
        body["kind"] = kind.Kind;
        body["apiVersion"] = kind.ApiVersion;
        if (kind.Plural == "jobs") PrepareJob(body);
        if (kind.Plural == "secrets") EncodeStringData(body);
        if (query(http, "dryRun") is { Length: > 0 })
        {
            await Json(http, 201, body);
            return;
        }
        if (!Store.TryCreate(kind, ns, body, out var stored))
        {
            await Json(http, 409, StatusObjects.AlreadyExists(kind, name));
            return;
        }
        await Json(http, 201, stored);

        static string? query(HttpContext h, string key) => h.Request.Query[key];
    }

    private async Task UpdateAsync(HttpContext http, ResourceKind kind, string ns, string name, bool merge)
    {
        var contentType = http.Request.ContentType ?? "";
        if (merge && !contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal) && !contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
        {
            await Json(http, 415, StatusObjects.Failure(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json"));
            return;
        }
        var body = await ReadObjectAsync(http);
        if (body is null)
        {
            await Json(http, 400, StatusObjects.Failure(400, "BadRequest", "the body of the request was in an unknown format"));
            return;
        }
        var conflict = false;
        var updated = Store.Update(kind, ns, name, current =>
        {
            if (merge)
            {
                MergePatch(current, body);
                return;
            }
            var expected = body["metadata"]?["resourceVersion"]?.GetValue<string>();
            if (expected is not null && expected != current["metadata"]!["resourceVersion"]!.GetValue<string>())
            {
                conflict = true;
                return;
            }
            foreach (var (key, value) in body.ToList()) current[key] = value?.DeepClone();
        });
        if (updated is null) await Json(http, 404, StatusObjects.NotFound(kind, name));
        else if (conflict) await Json(http, 409, StatusObjects.Failure(409, "Conflict", $"Operation cannot be fulfilled on {kind.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
        else await Json(http, 200, updated);
    }

    private async Task DeleteAsync(HttpContext http, ResourceKind kind, string ns, string name)
    {
        var options = await ReadObjectAsync(http);
        var policy = http.Request.Query["propagationPolicy"].ToString() is { Length: > 0 } fromQuery ? fromQuery : options?["propagationPolicy"]?.GetValue<string>();
        var deleted = Store.Delete(kind, ns, name);
        if (deleted is null)
        {
            await Json(http, 404, StatusObjects.NotFound(kind, name));
            return;
        }
        // batch/v1 Jobs default to orphaning their pods (kept for compatibility); kubectl asks for Background.
        if (kind.Plural == "jobs") Kubelet.OnJobDeleted(ns, deleted, orphan: policy is null or "Orphan");
        if (kind.Plural == "pods")
        {
            await Json(http, 200, deleted);
            return;
        }
        await Json(http, 200, StatusObjects.Success(name, kind, deleted["metadata"]!["uid"]!.GetValue<string>()));
    }

    /// <summary>What the API server checks on create, for the fields the backend sets.</summary>
    private static JsonObject? Validate(ResourceKind kind, JsonObject body, string name)
    {
        if (name.Length == 0) return StatusObjects.Invalid(kind, name, "metadata.name", "Required value: name or generateName is required");
        if (name.Length > 253 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.') || !char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
            return StatusObjects.Invalid(kind, name, "metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        foreach (var (key, value) in body["metadata"]?["labels"]?.AsObject() ?? new JsonObject())
            if (value?.GetValue<string>() is { Length: > 63 } tooLong)
                return StatusObjects.Invalid(kind, name, $"metadata.labels", $"Invalid value: \"{tooLong}\": must be no more than 63 characters");
        if (kind.Plural == "jobs")
        {
            if (name.Length > 63) return StatusObjects.Invalid(kind, name, "metadata.name", "Invalid value: must be no more than 63 characters");
            var pod = body["spec"]?["template"]?["spec"];
            if (pod?["containers"] is not JsonArray { Count: > 0 } containers) return StatusObjects.Invalid(kind, name, "spec.template.spec.containers", "Required value");
            if (pod["restartPolicy"]?.GetValue<string>() is not ("Never" or "OnFailure"))
                return StatusObjects.Invalid(kind, name, "spec.template.spec.restartPolicy", "Required value: valid values: \"OnFailure\", \"Never\"");
            foreach (var (container, i) in containers.Concat(pod["initContainers"] as JsonArray ?? []).Select((c, i) => (c, i)))
                if (string.IsNullOrEmpty(container?["image"]?.GetValue<string>()))
                    return StatusObjects.Invalid(kind, name, $"spec.template.spec.containers[{i}].image", "Required value");
        }
        return null;
    }

    /// <summary>The Job defaults the API server adds: a controller-uid selector and the matching template labels.</summary>
    private static void PrepareJob(JsonObject job)
    {
        var meta = ObjectStore.Metadata(job);
        var uid = Guid.NewGuid().ToString();
        meta["uid"] = uid;
        var name = meta["name"]!.GetValue<string>();
        var template = job["spec"]!["template"]!.AsObject();
        var templateMeta = ObjectStore.Metadata(template);
        var labels = templateMeta["labels"] as JsonObject ?? (JsonObject)(templateMeta["labels"] = new JsonObject());
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
        job["spec"]!["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        job["spec"]!["backoffLimit"] ??= 6;
        job["spec"]!["completions"] ??= 1;
        job["spec"]!["parallelism"] ??= 1;
        job["status"] = new JsonObject();
    }

    private static void EncodeStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject strings) return;
        var data = secret["data"] as JsonObject ?? (JsonObject)(secret["data"] = new JsonObject());
        foreach (var (key, value) in strings.ToList()) data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value!.GetValue<string>()));
        secret.Remove("stringData");
    }

    /// <summary>RFC 7386 JSON merge patch (strategic merge patches are applied the same way: lists are replaced).</summary>
    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject child && target[key] is JsonObject existing) MergePatch(existing, child);
            else target[key] = value.DeepClone();
        }
    }

    private static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in ResourceKind.All.Where(k => k.Group.Length > 0).GroupBy(k => k.Group))
        {
            var version = group.First().Version;
            var gv = new JsonObject { ["groupVersion"] = $"{group.Key}/{version}", ["version"] = version };
            groups.Add(new JsonObject { ["name"] = group.Key, ["versions"] = new JsonArray(gv), ["preferredVersion"] = gv.DeepClone() });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var kind in ResourceKind.All.Where(k => k.Group == group && k.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = kind.Plural, ["singularName"] = kind.Singular, ["namespaced"] = true, ["kind"] = kind.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                ["shortNames"] = new JsonArray(kind.ShortNames.Select(s => (JsonNode)s).ToArray()),
            });
            if (kind.Plural == "pods")
                resources.Add(new JsonObject { ["name"] = "pods/log", ["singularName"] = "", ["namespaced"] = true, ["kind"] = "Pod", ["verbs"] = new JsonArray("get") });
            if (kind.Plural == "jobs")
                resources.Add(new JsonObject { ["name"] = "jobs/status", ["singularName"] = "", ["namespaced"] = true, ["kind"] = "Job", ["verbs"] = new JsonArray("get", "patch", "update") });
        }
        if (group == "")
            resources.Add(new JsonObject { ["name"] = "namespaces", ["singularName"] = "namespace", ["namespaced"] = false, ["kind"] = "Namespace", ["verbs"] = new JsonArray("get", "list"), ["shortNames"] = new JsonArray("ns") });
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}", ["resources"] = resources };
    }

    private static async Task<JsonObject?> ReadObjectAsync(HttpContext http)
    {
        if (http.Request.ContentType is { } type && !type.StartsWith("application/", StringComparison.Ordinal) || http.Request.ContentType?.Contains("protobuf", StringComparison.Ordinal) == true)
            return null; // the emulator speaks JSON only (a real server also takes protobuf)
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task Json(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    private static async Task Event(HttpContext http, string type, JsonObject item, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString() + "\n";
        await http.Response.WriteAsync(line, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }

    internal static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }
}
