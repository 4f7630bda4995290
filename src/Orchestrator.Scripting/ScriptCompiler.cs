using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// The only type that touches the compiler: turns a build script into an assembly plus portable PDB.
/// Kept apart so that evaluating a cached script never loads Microsoft.CodeAnalysis.
/// </summary>
internal static class ScriptCompiler
{
    /// <summary>Namespaces every build script sees without a using directive.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System",
        "System.IO",
        "System.Linq",
        "System.Collections.Generic",
        "System.Threading.Tasks",
        "Orchestrator.Recipes",
    ];

    private static int s_compilations;

    /// <summary>How many scripts this process compiled; lets tests see that a cache hit skipped the compiler.</summary>
    public static int CompilationCount => Volatile.Read(ref s_compilations);

    // Not inlined: the caller must stay compilable by the JIT without resolving any compiler type.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static CompiledScript Compile(string scriptPath, byte[] content, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref s_compilations);
        var directory = Path.GetDirectoryName(scriptPath)!;
        var sources = new RecordingSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, directory));
        var options = ScriptOptions.Default
            .WithFilePath(scriptPath)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithImports(DefaultImports)
            .WithReferences(DefaultReferences())
            .WithSourceResolver(sources)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(directory));

        using var code = new MemoryStream(content, writable: false);
        var script = CSharpScript.Create<object>(code, options, typeof(BuildScriptGlobals));
        var original = (CSharpCompilation)script.GetCompilation();

        var diagnostics = original.GetDiagnostics(cancellationToken);
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            throw new ScriptCompilationException(scriptPath, Describe(diagnostics, scriptPath));
        var compilation = CallSiteAnnotator.Annotate(original, scriptPath);

        using var assembly = new MemoryStream();
        using var symbols = new MemoryStream();
        var emitOptions = new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb);
        var emitted = compilation.Emit(assembly, symbols, options: emitOptions, cancellationToken: cancellationToken);
        if (!emitted.Success && compilation != original)
        {
            // The annotations only sharpen error locations: a script they would break compiles without them.
            compilation = original;
            assembly.SetLength(0);
            symbols.SetLength(0);
            emitted = compilation.Emit(assembly, symbols, options: emitOptions, cancellationToken: cancellationToken);
        }
        if (!emitted.Success)
            throw new ScriptCompilationException(scriptPath, Describe(emitted.Diagnostics, scriptPath));

        var entryPoint = compilation.GetEntryPoint(cancellationToken)
            ?? throw new OrchestratorException($"{scriptPath}: the compiler produced no script entry point; this is a bug in the script host");

        var rootHash = Digest.Sha256(content).ToString();
        var loaded = compilation.SyntaxTrees
            .Select(tree => tree.FilePath)
            .Where(path => path.Length > 0 && !string.Equals(path, scriptPath, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Select(path => new ScriptInput(path, sources.Hashes.TryGetValue(path, out var hash) ? hash : FileHash.Of(path)));

        var references = compilation.DirectiveReferences
            .OfType<PortableExecutableReference>()
            .Where(r => r.FilePath is not null)
            .Select(r => new ScriptInput(r.FilePath!, FileHash.Of(r.FilePath!)))
            .ToList();

        return new CompiledScript(
            assembly.ToArray(),
            symbols.ToArray(),
            MetadataName(entryPoint.ContainingType),
            entryPoint.MetadataName,
            [new ScriptInput(scriptPath, rootHash), .. loaded],
            references);
    }

    private static IEnumerable<MetadataReference> DefaultReferences()
    {
        Assembly[] assemblies =
        [
            typeof(object).Assembly,
            typeof(Enumerable).Assembly,
            typeof(List<>).Assembly,
            typeof(Console).Assembly,
            typeof(System.Text.RegularExpressions.Regex).Assembly,
            Assembly.Load(new AssemblyName("System.Runtime")),
            Assembly.Load(new AssemblyName("netstandard")),
            typeof(OrchestratorException).Assembly,
            typeof(RecipeBook).Assembly,
            typeof(BuildScriptGlobals).Assembly,
        ];
        return assemblies.Distinct().Select(a => MetadataReference.CreateFromFile(a.Location));
    }

    private static List<ScriptDiagnostic> Describe(IEnumerable<Diagnostic> diagnostics, string scriptPath) =>
        diagnostics
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            .OrderBy(d => d.Severity == DiagnosticSeverity.Error ? 0 : 1)
            .Select(d =>
            {
                var span = d.Location.GetMappedLineSpan();
                var located = d.Location != Location.None && span.IsValid;
                return new ScriptDiagnostic(
                    located && !string.IsNullOrEmpty(span.Path) ? span.Path : scriptPath,
                    located ? span.StartLinePosition.Line + 1 : 0,
                    located ? span.StartLinePosition.Character + 1 : 0,
                    d.Severity == DiagnosticSeverity.Error,
                    d.Id,
                    d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            })
            .ToList();

    private static string MetadataName(INamedTypeSymbol type)
    {
        var names = new Stack<string>();
        for (ISymbol? s = type; s is INamedTypeSymbol t; s = t.ContainingType) names.Push(t.MetadataName);
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : "";
        return ns + string.Join("+", names);
    }
}
