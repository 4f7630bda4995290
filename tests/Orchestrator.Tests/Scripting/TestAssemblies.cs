using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Orchestrator.Tests.Scripting;

/// <summary>Builds small real assemblies for <c>#r</c> tests.</summary>
internal static class TestAssemblies
{
    /// <summary>Writes <c>Greeting.dll</c> with <c>Greeting.Greeter.Greet(name)</c> returning "<paramref name="word"/> name".</summary>
    public static void WriteGreeting(string path, string word)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var code = $$"""
            namespace Greeting;
            public static class Greeter
            {
                public static string Greet(string name) => "{{word}} " + name;
            }
            """;
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var compilation = CSharpCompilation.Create(
            "Greeting",
            [CSharpSyntaxTree.ParseText(code)],
            [
                MetadataReference.CreateFromFile(typeof(object).Assembly.Location),
                MetadataReference.CreateFromFile(Path.Combine(runtimeDirectory, "System.Runtime.dll")),
            ],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        if (!result.Success) throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics));
    }
}
