using System.Text.Json.Serialization;

namespace Orchestrator.Caching;

/// <summary>
/// Compile-time JSON metadata for the cache's own small files and annotations, read on every step of a warm build:
/// no reflection on the way to the first hit.
/// </summary>
[JsonSerializable(typeof(LocalCacheIndex.Stored), TypeInfoPropertyName = "IndexEntry")]
[JsonSerializable(typeof(StepHistory.Stored), TypeInfoPropertyName = "StepHistoryStored")]
[JsonSerializable(typeof(CopiedContentMemo.Stored), TypeInfoPropertyName = "CopiedContentMemoStored")]
[JsonSerializable(typeof(string[][]))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
