namespace Orchestrator.Scripting;

/// <summary>The outcome of running a build script: the recipes it declared, and how it was obtained.</summary>
public sealed class ScriptEvaluation
{
    internal ScriptEvaluation(BuildScriptGlobals globals, bool fromCache, IReadOnlyList<string> sourceFiles, string? cacheWriteError)
    {
        Globals = globals;
        FromCache = fromCache;
        SourceFiles = sourceFiles;
        CacheWriteError = cacheWriteError;
    }

    /// <summary>The populated recipe book; call <see cref="Recipes.RecipeBook.Build"/> to validate it into a recipe set.</summary>
    public BuildScriptGlobals Globals { get; }

    /// <summary>True when the compiled script came from the cache and the compiler was not used.</summary>
    public bool FromCache { get; }

    /// <summary>Every source the script consists of: the root script first, then each <c>#load</c>ed file.</summary>
    public IReadOnlyList<string> SourceFiles { get; }

    /// <summary>Why the compiled script could not be stored in the cache (the build goes on without it), or null.</summary>
    public string? CacheWriteError { get; }
}
