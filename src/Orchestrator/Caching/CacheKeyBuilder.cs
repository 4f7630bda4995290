using System.Security.Cryptography;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// Builds one <see cref="CacheKey"/>: the format version first, then each top-level part in the order added, each
/// encoded by <see cref="KeyPartWriter"/>; the key is the SHA-256 of the concatenated encodings. Every part also
/// lands in the key's readable list, as its value (when <c>shown</c>) or as the digest of its encoding.
/// </summary>
public sealed class CacheKeyBuilder
{
    /// <summary>The first part of every key. Change it whenever the encoding or the choice of parts changes, so old keys never match new meanings.</summary>
    public const string FormatVersion = "orchestrator.cache-key.v1";

    /// <summary>Texts longer than this are shown as digests even when they may be shown.</summary>
    private const int MaxShownText = 100;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly KeyPartWriter _writer = new();
    private readonly List<CacheKeyPart> _parts = [];

    public CacheKeyBuilder() => Text("version", FormatVersion, shown: true);

    /// <param name="shown">Whether the value may appear as such in the readable parts; otherwise only its digest does.</param>
    public CacheKeyBuilder Text(string name, string? value, bool shown = false) =>
        Add(name, w => w.Text(name, value), value is null ? null : shown && value.Length <= MaxShownText ? value : NoValue);

    public CacheKeyBuilder Boolean(string name, bool value) => Add(name, w => w.Boolean(name, value), value ? "true" : "false");

    public CacheKeyBuilder Integer(string name, long? value) => Add(name, w => w.Integer(name, value), value?.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public CacheKeyBuilder Digest(string name, Digest? value) => Add(name, w => w.Digest(name, value), value?.ToString());

    /// <summary>A record of nested parts; shown as the digest of its encoding.</summary>
    public CacheKeyBuilder Group(string name, Action<KeyPartWriter> parts) => Add(name, w => w.Group(name, parts), NoValue);

    /// <summary>A sequence of nested parts; shown as the digest of its encoding.</summary>
    public CacheKeyBuilder List<T>(string name, IEnumerable<T> items, Action<KeyPartWriter, T> item) => Add(name, w => w.List(name, items, item), NoValue);

    public CacheKey Build() => new(Oci.Digest.FromHash(_hash.GetHashAndReset()), _parts.ToEquatableArray());

    // Marks "show the digest of the encoding"; a fresh instance, so no caller's text is ever the same reference.
    private static readonly string NoValue = new('\0', 1);

    private CacheKeyBuilder Add(string name, Action<KeyPartWriter> write, string? shownValue)
    {
        _writer.Clear();
        write(_writer);
        _hash.AppendData(_writer.Written);
        var value = ReferenceEquals(shownValue, NoValue) ? Oci.Digest.Sha256(_writer.Written).ToString() : shownValue;
        _parts.Add(new CacheKeyPart(name, value));
        return this;
    }
}
