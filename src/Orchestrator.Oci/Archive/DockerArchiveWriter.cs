using System.Formats.Tar;
using System.Text.Json.Nodes;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Archive;

/// <summary>
/// Writes a docker-archive tarball (what <c>docker save</c> makes and <c>docker load</c>/<c>podman
/// load</c> read): the config as <c>&lt;hex&gt;.json</c>, each layer blob as <c>&lt;hex&gt;/layer.tar</c>
/// (compressed layers are stored as they are; both loaders decompress), <c>manifest.json</c> naming
/// them with the repository tags, and the legacy <c>repositories</c> file.
/// </summary>
public static class DockerArchiveWriter
{
    // Fixed times and owners so the same image gives the same archive bytes.
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    public static async Task WriteAsync(string path, ImageManifest manifest, IBlobSource blobs, IReadOnlyList<ImageReference> tags, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // A seekable file lets the tar writer stream blobs whose length it cannot seek to.
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1024 * 1024, FileOptions.Asynchronous))
            {
                await WriteAsync(file, manifest, blobs, tags, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static async Task WriteAsync(Stream output, ImageManifest manifest, IBlobSource blobs, IReadOnlyList<ImageReference> tags, CancellationToken cancellationToken = default)
    {
        var configName = manifest.Config.Digest.Hex + ".json";
        var layerNames = manifest.Layers.Select(l => l.Digest.Hex + "/layer.tar").ToList();
        var repoTags = tags.Select(Familiar).ToList();

        await using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        await WriteBlobAsync(tar, configName, manifest.Config, blobs, cancellationToken).ConfigureAwait(false);
        var written = new HashSet<Digest>();
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            if (!written.Add(layer.Digest)) continue;
            await WriteDirectoryAsync(tar, layer.Digest.Hex + "/", cancellationToken).ConfigureAwait(false);
            await WriteBlobAsync(tar, layerNames[i], layer, blobs, cancellationToken).ConfigureAwait(false);
        }

        var manifestJson = Utf8(new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray([.. repoTags.Select(t => (JsonNode?)t)]),
            ["Layers"] = new JsonArray([.. layerNames.Select(l => (JsonNode?)l)]),
        }));
        await WriteBytesAsync(tar, "manifest.json", manifestJson, cancellationToken).ConfigureAwait(false);

        var topLayer = manifest.Layers.Count == 0 ? "" : manifest.Layers[^1].Digest.Hex;
        var repositories = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var tag in tags.Where(t => t.Tag is not null))
        {
            var name = Familiar(tag with { Tag = null, Digest = null });
            name = name[..name.LastIndexOf(':')];
            if (!repositories.TryGetValue(name, out var byTag)) repositories[name] = byTag = new SortedDictionary<string, string>(StringComparer.Ordinal);
            byTag[tag.Tag!] = topLayer;
        }
        var repositoriesJson = new JsonObject();
        foreach (var (name, byTag) in repositories)
            repositoriesJson[name] = new JsonObject(byTag.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));
        await WriteBytesAsync(tar, "repositories", Utf8(repositoriesJson), cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Utf8(JsonNode node) => System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>The short name Docker prints: <c>busybox:latest</c>, <c>localhost:5000/app:1</c>.</summary>
    private static string Familiar(ImageReference reference)
    {
        var name = reference.Registry == ImageReference.DockerHub
            ? (reference.Repository.StartsWith("library/", StringComparison.Ordinal) ? reference.Repository["library/".Length..] : reference.Repository)
            : reference.Name;
        return name + ":" + (reference.Tag ?? "latest");
    }

    private static async Task WriteBlobAsync(TarWriter tar, string name, Descriptor blob, IBlobSource blobs, CancellationToken cancellationToken)
    {
        await using var content = await blobs.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
        var entry = NewEntry(TarEntryType.RegularFile, name);
        entry.DataStream = content;
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteBytesAsync(TarWriter tar, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name);
        entry.DataStream = new MemoryStream(bytes, writable: false);
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteDirectoryAsync(TarWriter tar, string name, CancellationToken cancellationToken) =>
        tar.WriteEntryAsync(NewEntry(TarEntryType.Directory, name), cancellationToken);

    private static UstarTarEntry NewEntry(TarEntryType type, string name) => new(type, name)
    {
        ModificationTime = Epoch,
        Mode = type == TarEntryType.Directory
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        Uid = 0,
        Gid = 0,
    };
}
