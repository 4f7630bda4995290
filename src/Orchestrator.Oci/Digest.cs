using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Orchestrator.Oci;

/// <summary>A content digest, <c>sha256:&lt;hex&gt;</c>. The one home for computing and parsing digests.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(DigestJsonConverter))]
public readonly partial record struct Digest(string Algorithm, string Hex)
{
    public static Digest Parse(string value) =>
        TryParse(value, out var digest) ? digest : throw new OrchestratorException($"invalid digest '{value}': expected sha256:<64 lowercase hex digits>");

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null || !Sha256Pattern().IsMatch(value)) return false;
        digest = new Digest("sha256", value[7..]);
        return true;
    }

    public static Digest Sha256(ReadOnlySpan<byte> data) => FromHash(SHA256.HashData(data));

    public static async Task<Digest> Sha256Async(Stream stream, CancellationToken cancellationToken = default) =>
        FromHash(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));

    public static Digest FromHash(ReadOnlySpan<byte> sha256) => new("sha256", Convert.ToHexStringLower(sha256));

    /// <summary>Short form for people: the first 12 hex digits.</summary>
    public string Short => Hex[..Math.Min(12, Hex.Length)];

    public override string ToString() => Algorithm + ":" + Hex;

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256Pattern();
}
