namespace Orchestrator.Scripting;

/// <summary>
/// Evaluates <c>build.csx</c> scripts. A compiled script is cached under the cache folder; a hit loads the
/// stored assembly and runs it without touching the compiler (this type and everything it calls on that
/// path stay free of compiler types, so the compiler assemblies are not even loaded).
/// </summary>
public sealed class ScriptHost
{
    /// <summary>Compiles (or takes from the cache) and runs the script, returning the recipes it declared.</summary>
    /// <exception cref="ScriptCompilationException">The script does not compile.</exception>
    /// <exception cref="OrchestratorException">The script is missing, or it failed: recipe errors pass through, other exceptions are wrapped with the script line.</exception>
    public async Task<ScriptEvaluation> EvaluateAsync(string scriptPath, ScriptHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scriptPath);
        ArgumentNullException.ThrowIfNull(options);
        var fullPath = Path.GetFullPath(scriptPath);
        var content = await ReadScriptAsync(scriptPath, fullPath, cancellationToken).ConfigureAwait(false);

        var cache = options.CacheDirectory is null ? null : new CompiledScriptCache(options.CacheDirectory);
        var key = cache is null ? null : ScriptCacheKey.Compute(fullPath, content);
        var compiled = cache is null ? null : await cache.TryLoadAsync(key!, cancellationToken).ConfigureAwait(false);
        var fromCache = compiled is not null;
        string? cacheWriteError = null;

        if (compiled is null)
        {
            compiled = ScriptCompiler.Compile(fullPath, content, cancellationToken);
            if (cache is not null)
            {
                try
                {
                    await cache.StoreAsync(key!, compiled, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    cacheWriteError = $"could not write the script cache under {options.CacheDirectory}: {e.Message}";
                }
            }
        }

        var globals = new BuildScriptGlobals(fullPath, options.BuildArgs, options.Environment) { BaseImageEnvironment = options.BaseImageEnvironment };
        await ScriptRunner.RunAsync(fullPath, compiled, globals, cancellationToken).ConfigureAwait(false);
        return new ScriptEvaluation(globals, fromCache, compiled.Sources.Select(s => s.Path).ToList(), cacheWriteError);
    }

    private static async Task<byte[]> ReadScriptAsync(string given, string fullPath, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(fullPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new OrchestratorException($"build script '{given}' not found (looked at {fullPath}); pass the path of your build.csx");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrchestratorException($"build script '{given}' cannot be read: {e.Message}");
        }
    }
}
