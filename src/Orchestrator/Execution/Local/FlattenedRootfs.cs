using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>
/// The image root the chroot fallback runs in: a stage's layers applied in order to one writable
/// folder, whiteouts applied rather than kept as overlay markers. It is made once per stage, when the
/// first RUN needs it; after that RUN steps change it in place and every COPY/ADD/WORKDIR layer is
/// applied on top, so it always equals the stage's layers so far without being flattened again.
/// </summary>
public sealed class FlattenedRootfs
{
    public FlattenedRootfs(string folder)
    {
        Folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
        Libc.Chmod(Folder, 0x1ED); // 0755: the image root as every base image has it
    }

    public string Folder { get; }

    /// <summary>Applies one layer blob (any compression) on top of what the folder holds.</summary>
    public async Task ApplyAsync(Stream blob, string label, CancellationToken cancellationToken)
    {
        var options = new LayerExtractionOptions { Whiteouts = WhiteoutMode.Apply, Label = label };
        await new LayerExtractor(options).ExtractAsync(blob, Folder, cancellationToken).ConfigureAwait(false);
    }
}
