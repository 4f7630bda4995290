using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>A change, as a watch sends it: the type and the object as it was right after the change.</summary>
public sealed record StoreEvent(long Version, ResourceKind Kind, string Namespace, string Type, JsonObject Object);

/// <summary>
/// The emulator's etcd: objects by kind, namespace and name, one resourceVersion counter for everything (as
/// etcd's revision), and a log of changes that watches replay from a version. <see cref="Compact"/> forgets the
/// log up to now, so a watch from an older version gets 410 Gone, as after etcd compaction.
/// </summary>
public sealed class ObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(ResourceKind, string, string), JsonObject> _objects = new();
    private readonly List<StoreEvent> _log = new();
    private readonly List<Channel<StoreEvent>> _subscribers = new();
    private long _version = 100;
    private long _compactedThrough;

    public long CurrentVersion { get { lock (_gate) return _version; } }

    /// <summary>Raised after every change, outside the lock (the kubelet and the job controller listen).</summary>
    public event Action<StoreEvent>? Changed;

    public JsonObject? Get(ResourceKind kind, string ns, string name)
    {
        lock (_gate) return _objects.TryGetValue((kind, ns, name), out var item) ? (JsonObject)item.DeepClone() : null;
    }

    public (List<JsonObject> Items, long Version) List(ResourceKind kind, string? ns)
    {
        lock (_gate)
        {
            var items = _objects.Where(o => o.Key.Item1 == kind && (ns is null || o.Key.Item2 == ns))
                .OrderBy(o => o.Key.Item2, StringComparer.Ordinal).ThenBy(o => o.Key.Item3, StringComparer.Ordinal)
                .Select(o => (JsonObject)o.Value.DeepClone()).ToList();
            return (items, _version);
        }
    }

    /// <summary>Adds an object; false when one of that name exists.</summary>
    public bool TryCreate(ResourceKind kind, string ns, JsonObject item, out JsonObject stored)
    {
        StoreEvent change;
        lock (_gate)
        {
            var name = Metadata(item)["name"]!.GetValue<string>();
            if (_objects.ContainsKey((kind, ns, name)))
            {
                stored = item;
                return false;
            }
            var meta = Metadata(item);
            meta["namespace"] = ns;
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Rfc3339(DateTimeOffset.UtcNow);
            meta["generation"] = 1;
            change = Record(kind, ns, "ADDED", item);
            _objects[(kind, ns, name)] = item;
            stored = (JsonObject)item.DeepClone();
        }
        Publish(change);
        return true;
    }

    /// <summary>Changes an object in place with <paramref name="update"/>; null when it does not exist.</summary>
    public JsonObject? Update(ResourceKind kind, string ns, string name, Action<JsonObject> update)
    {
        StoreEvent change;
        JsonObject result;
        lock (_gate)
        {
            if (!_objects.TryGetValue((kind, ns, name), out var item)) return null;
            var copy = (JsonObject)item.DeepClone();
            update(copy);
            Metadata(copy)["name"] = name;
            Metadata(copy)["namespace"] = ns;
            change = Record(kind, ns, "MODIFIED", copy);
            _objects[(kind, ns, name)] = copy;
            result = (JsonObject)copy.DeepClone();
        }
        Publish(change);
        return result;
    }

    public JsonObject? Delete(ResourceKind kind, string ns, string name)
    {
        StoreEvent change;
        lock (_gate)
        {
            if (!_objects.Remove((kind, ns, name), out var item)) return null;
            change = Record(kind, ns, "DELETED", item);
        }
        Publish(change);
        return (JsonObject)change.Object.DeepClone();
    }

    /// <summary>Forgets the change log up to now: watches from an older version get 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _version;
            _log.Clear();
        }
    }

    /// <summary>
    /// Subscribes to changes after <paramref name="fromVersion"/>: replays the log from there, then live ones.
    /// Null when that version was compacted away (410 Gone).
    /// </summary>
    public ChannelReader<StoreEvent>? Subscribe(long fromVersion, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<StoreEvent>();
        lock (_gate)
        {
            if (fromVersion < _compactedThrough) return null;
            foreach (var change in _log.Where(e => e.Version > fromVersion)) channel.Writer.TryWrite(change);
            _subscribers.Add(channel);
        }
        cancellationToken.Register(() =>
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    private StoreEvent Record(ResourceKind kind, string ns, string type, JsonObject item)
    {
        _version++;
        Metadata(item)["resourceVersion"] = _version.ToString();
        var change = new StoreEvent(_version, kind, ns, type, (JsonObject)item.DeepClone());
        _log.Add(change);
        foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(change);
        return change;
    }

    private void Publish(StoreEvent change) => Changed?.Invoke(change);

    public static JsonObject Metadata(JsonObject item) => item["metadata"] as JsonObject ?? (JsonObject)(item["metadata"] = new JsonObject());

    public static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
