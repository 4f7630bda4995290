using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// Gives recipe methods that take a <c>params</c> array (<c>.Cmd(...)</c>, <c>.Destination(...)</c>, …)
/// their exact source line: their receiver is wrapped in <c>CallSite.At(receiver, file, line, member)</c>.
/// A <c>params</c> array must be a method's last parameter, so caller-info attributes cannot follow
/// it, and a stack frame only knows where a multi-line statement starts. Runs after the script
/// compiled cleanly, so the user's diagnostics always refer to the original text.
/// Roslyn does not let a tree that came from <c>#load</c> be replaced, so only the root script is
/// annotated; calls in loaded files fall back to <see cref="CallSite"/>'s stack-and-source lookup.
/// </summary>
internal static class ParamsCallAnnotator
{
    public static CSharpCompilation Annotate(CSharpCompilation compilation, string rootScriptPath)
    {
        foreach (var tree in compilation.SyntaxTrees.Where(t => string.Equals(t.FilePath, rootScriptPath, StringComparison.Ordinal)).ToList())
        {
            var model = compilation.GetSemanticModel(tree);
            var rewritten = new Rewriter(model, tree.FilePath).Visit(tree.GetRoot());
            if (rewritten != tree.GetRoot())
                compilation = compilation.ReplaceSyntaxTree(tree, tree.WithRootAndOptions(rewritten, tree.Options));
        }
        return compilation;
    }

    private sealed class Rewriter(SemanticModel model, string file) : CSharpSyntaxRewriter
    {
        private static readonly string RecipesNamespace = typeof(RecipeBuilder).Namespace!;

        public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            var visited = (InvocationExpressionSyntax)base.VisitInvocationExpression(node)!;
            if (node.Expression is not MemberAccessExpressionSyntax access) return visited;
            if (model.GetSymbolInfo(node).Symbol is not IMethodSymbol method) return visited;
            if (!method.Parameters.Any(p => p.IsParams)) return visited;
            if (method.ContainingType?.ContainingNamespace?.ToDisplayString() != RecipesNamespace) return visited;

            var line = node.Name().GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            var receiver = ((MemberAccessExpressionSyntax)visited.Expression).Expression;
            var annotated = SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression("global::Orchestrator.Recipes.CallSite.At"),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(
                [
                    SyntaxFactory.Argument(receiver.WithoutTrivia()),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(file))),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(line))),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(method.Name))),
                ])));
            return visited.WithExpression(((MemberAccessExpressionSyntax)visited.Expression).WithExpression(annotated.WithTriviaFrom(receiver)));
        }
    }

    private static SyntaxNode Name(this InvocationExpressionSyntax node) => ((MemberAccessExpressionSyntax)node.Expression).Name;
}
