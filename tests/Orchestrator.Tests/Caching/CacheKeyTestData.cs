using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Caching;

/// <summary>Shared values for the key tests: a root, a content digest, scopes.</summary>
internal static class CacheKeyTestData
{
    public static readonly Digest BaseDigest = Digest.Sha256("base manifest"u8);

    public static CacheKey Root { get; } = new CacheKeyRoot.Image(BaseDigest, Platform.LinuxAmd64).Key;

    public static SelectionDigest Content(string text) => new(Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(text)), 1, text.Length);

    public static StepInputs Inputs(string text = "files") => new() { Content = Content(text) };

    public static StepScope Scope(IEnumerable<(string, string)>? args = null, IEnumerable<(string, string)>? env = null) => new(
        (args ?? []).Select(a => KeyValuePair.Create(a.Item1, a.Item2)).ToEquatableArray(),
        (env ?? []).Select(e => KeyValuePair.Create(e.Item1, e.Item2)).ToEquatableArray());

    public static CacheKey Key(Instruction instruction, StepScope? scope = null, StepInputs? inputs = null, CacheKey? parent = null) =>
        StepKeyFormula.Compute(parent ?? Root, instruction, scope ?? StepScope.None, inputs ?? Inputs());
}
