using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Execution;

/// <summary>One layer of a locally held image: its blob, its diffID and its extracted folder in the layer store.</summary>
public sealed record LocalLayer(Descriptor Blob, Digest DiffId, string Folder);

/// <summary>An image as the local builder holds it: config plus layers, bottom first.</summary>
public sealed record LocalImage(ImageConfig Config, IReadOnlyList<LocalLayer> Layers)
{
    /// <summary>
    /// The empty base of <c>FROM scratch</c>, configured as BuildKit's emptyImage (dockerfile2llb/image.go):
    /// WorkingDir <c>/</c> and Docker's default PATH.
    /// </summary>
    public static LocalImage Scratch(DateTimeOffset created) =>
        new(new ImageConfig { Created = created, Config = new ContainerConfig { WorkingDir = "/", Env = [ConfigInstructions.DefaultPath] }, History = [] }, []);

    /// <summary>Layer folders, top-most first (the order lookups go through).</summary>
    public IReadOnlyList<string> FoldersTopFirst => Layers.Select(l => l.Folder).Reverse().ToList();

    public IReadOnlyList<string> FoldersBottomFirst => Layers.Select(l => l.Folder).ToList();
}
