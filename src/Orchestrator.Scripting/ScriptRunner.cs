using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// Loads a compiled script with its PDB (so stack frames carry .csx file and line, which recipe
/// builders use for error locations) and runs it by calling the submission factory directly with
/// <c>[globals, null]</c>, the way the scripting runtime itself starts a first submission.
/// </summary>
internal static class ScriptRunner
{
    public static async Task RunAsync(string scriptPath, CompiledScript compiled, BuildScriptGlobals globals, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // The context that loaded this host: it hands out the globals' type, and the engine (shared with a caller that
        // isolates the host from its own compiler, see Orchestrator.Hosting's IsolatedScriptHost).
        var host = AssemblyLoadContext.GetLoadContext(typeof(BuildScriptGlobals).Assembly) ?? AssemblyLoadContext.Default;
        var context = new ScriptLoadContext(scriptPath, compiled.References.Select(r => r.Path), host);
        Assembly assembly;
        using (var image = new MemoryStream(compiled.Assembly, writable: false))
        using (var symbols = new MemoryStream(compiled.Symbols, writable: false))
            assembly = context.LoadFromStream(image, symbols);

        var factory = assembly.GetType(compiled.EntryType, throwOnError: false)
            ?.GetMethod(compiled.EntryMethod, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new OrchestratorException($"{scriptPath}: the compiled script has no entry point {compiled.EntryType}.{compiled.EntryMethod}; delete the script cache folder or run with --no-cache");
        var run = factory.CreateDelegate<Func<object?[], Task>>();

        try
        {
            await run([globals, null]).ConfigureAwait(false);
        }
        catch (OrchestratorException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new ScriptRuntimeException(FindScriptLine(e, assembly, scriptPath), e);
        }
    }

    /// <summary>
    /// The innermost frame of the exception's stack that lies in the script: the .csx line whose call failed; inside a
    /// loaded file, with the root script's line that called into it.
    /// </summary>
    private static SourceLocation FindScriptLine(Exception exception, Assembly scriptAssembly, string scriptPath)
    {
        SourceLocation? found = null;
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: true).GetFrames())
        {
            if (frame.GetMethod()?.DeclaringType?.Assembly != scriptAssembly) continue;
            var file = frame.GetFileName();
            if (string.IsNullOrEmpty(file) || frame.GetFileLineNumber() <= 0) continue;
            var location = new SourceLocation(file, frame.GetFileLineNumber(), Column: Math.Max(frame.GetFileColumnNumber(), 1));
            if (found is null) found = location;
            if (string.Equals(file, scriptPath, StringComparison.Ordinal))
                return ReferenceEquals(found, location) ? found : found with { Caller = location };
        }
        return found ?? new SourceLocation(scriptPath, 0);
    }
}
