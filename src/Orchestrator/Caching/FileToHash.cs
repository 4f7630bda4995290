namespace Orchestrator.Caching;

/// <summary>A regular file whose content digest a key needs: where it is, the folder whose memo covers it, and its identity when it was listed.</summary>
/// <param name="Scope">The folder whose memo holds the file (the build context, a layer folder).</param>
/// <param name="RelativePath">The file's path below <paramref name="Scope"/>.</param>
internal readonly record struct FileToHash(string Scope, string RelativePath, FileIdentity Identity)
{
    public string HostPath => Path.Combine(Scope, RelativePath);
}
