using System.Text;

namespace Orchestrator.Scripting;

/// <summary>
/// Compiled build scripts on disk, one folder per key under <c>&lt;cache&gt;/scripts/</c> holding
/// <c>script.dll</c>, <c>script.pdb</c> and <c>manifest.txt</c>. Entries appear atomically (written in a
/// temporary folder, then renamed); an entry that is stale, unreadable or corrupt counts as a miss and is
/// replaced by the next store. Uses no compiler types, so a hit never loads the compiler.
/// </summary>
internal sealed class CompiledScriptCache(string cacheDirectory)
{
    private const string AssemblyFile = "script.dll";
    private const string SymbolsFile = "script.pdb";
    private const string ManifestFile = "manifest.txt";

    private readonly string _root = Path.Combine(Path.GetFullPath(cacheDirectory), "scripts");

    public string EntryDirectory(string key) => Path.Combine(_root, key);

    /// <summary>The compiled script stored under <paramref name="key"/> if it is intact and every input it lists is unchanged; otherwise null.</summary>
    public async Task<CompiledScript?> TryLoadAsync(string key, CancellationToken cancellationToken)
    {
        var entry = EntryDirectory(key);
        try
        {
            var manifestPath = Path.Combine(entry, ManifestFile);
            if (!File.Exists(manifestPath)) return null;
            var manifest = ScriptCacheManifest.Parse(await File.ReadAllTextAsync(manifestPath, Encoding.UTF8, cancellationToken).ConfigureAwait(false));
            if (manifest is null) return null;

            foreach (var input in manifest.Sources.Concat(manifest.References))
                if (!File.Exists(input.Path) || await FileHash.OfAsync(input.Path, cancellationToken).ConfigureAwait(false) != input.Sha256)
                    return null;

            var assembly = await ReadVerifiedAsync(Path.Combine(entry, AssemblyFile), manifest.Assembly.Sha256, cancellationToken).ConfigureAwait(false);
            var symbols = await ReadVerifiedAsync(Path.Combine(entry, SymbolsFile), manifest.Symbols.Sha256, cancellationToken).ConfigureAwait(false);
            if (assembly is null || symbols is null) return null;

            return new CompiledScript(assembly, symbols, manifest.EntryType, manifest.EntryMethod, manifest.Sources, manifest.References);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable or half-understood entries are misses; the store that follows replaces them.
            return null;
        }
    }

    /// <summary>Stores <paramref name="compiled"/> under <paramref name="key"/>. Losing a race against another writer is fine.</summary>
    public async Task StoreAsync(string key, CompiledScript compiled, CancellationToken cancellationToken)
    {
        var manifest = new ScriptCacheManifest(
            compiled.EntryType,
            compiled.EntryMethod,
            new ScriptInput(AssemblyFile, Oci.Digest.Sha256(compiled.Assembly).ToString()),
            new ScriptInput(SymbolsFile, Oci.Digest.Sha256(compiled.Symbols).ToString()),
            compiled.Sources,
            compiled.References);
        // A path the manifest cannot spell (a tab or newline in it) is simply not cached.
        if (!manifest.IsRepresentable) return;

        Directory.CreateDirectory(_root);
        var temporary = Path.Combine(_root, $".tmp-{key[..12]}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(temporary, AssemblyFile), compiled.Assembly, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(temporary, SymbolsFile), compiled.Symbols, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(temporary, ManifestFile), manifest.Format(), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            Publish(temporary, EntryDirectory(key));
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private static void Publish(string temporary, string entry)
    {
        // A stale or corrupt entry is moved aside first: a rename cannot replace a non-empty folder.
        string? stale = null;
        if (Directory.Exists(entry))
        {
            stale = Path.Combine(Path.GetDirectoryName(entry)!, $".stale-{Guid.NewGuid():N}");
            try { Directory.Move(entry, stale); }
            catch (IOException) { stale = null; }
        }
        try
        {
            Directory.Move(temporary, entry);
        }
        catch (IOException) when (Directory.Exists(entry))
        {
            // Another process published the same key in between; its entry is as good as ours.
        }
        if (stale is not null) TryDelete(stale);
    }

    private static async Task<byte[]?> ReadVerifiedAsync(string path, string sha256, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return null;
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Oci.Digest.Sha256(bytes).ToString() == sha256 ? bytes : null;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftovers only cost disk space; never fail a build over them.
        }
    }
}
