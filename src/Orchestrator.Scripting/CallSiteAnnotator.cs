using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// Annotates the root script's calls so recipe locations say exactly where the user wrote them:
/// <list type="bullet">
/// <item>Recipe methods that take a <c>params</c> array (<c>.Cmd(...)</c>, <c>.Destination(...)</c>, …) get their
/// exact source line: their receiver is wrapped in <c>CallSite.At(receiver, file, line, member)</c>. A <c>params</c>
/// array must be a method's last parameter, so caller-info attributes cannot follow it, and a stack frame only
/// knows where a multi-line statement starts.</item>
/// <item>Calls of methods declared in a loaded file (<c>NodeApp(...)</c> from <c>#load "recipes/node.csx"</c>) are
/// wrapped in <c>CallSite.Leave(CallSite.Enter(file, line, column), call)</c> (a block around a call without
/// result), so a location inside the recipe also names the root script's call that led there.</item>
/// </list>
/// Runs after the script compiled cleanly, so the user's diagnostics always refer to the original text, and adds
/// no line breaks, so stack frames keep the original lines. Roslyn does not let a tree that came from <c>#load</c>
/// be replaced, so only the root script is annotated; calls in loaded files fall back to <see cref="CallSite"/>'s
/// stack-and-source lookup.
/// </summary>
internal static class CallSiteAnnotator
{
    private const string CallSiteType = "global::Orchestrator.Recipes.CallSite";

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
        private readonly string _fileLiteral = SymbolDisplay.FormatLiteral(file, quote: true);

        public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            var visited = (InvocationExpressionSyntax)base.VisitInvocationExpression(node)!;
            if (model.GetSymbolInfo(node).Symbol is not IMethodSymbol method) return visited;
            if (IsParamsRecipeCall(node, method)) visited = WithAnnotatedReceiver(node, visited, method);
            if (!IsDeclaredInLoadedFile(method) || node.Expression is MemberBindingExpressionSyntax || method.ReturnsVoid || method.ReturnsByRef || method.ReturnsByRefReadonly
                || method.ReturnType.IsRefLikeType || method.ReturnType.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.Dynamic)
                return visited;

            var (line, column) = NamePosition(node);
            var wrapped = SyntaxFactory.ParseExpression($"{CallSiteType}.Leave({CallSiteType}.Enter({_fileLiteral},{line},{column}),{visited.WithoutTrivia().ToFullString()})");
            return wrapped.WithTriviaFrom(visited);
        }

        public override SyntaxNode? VisitExpressionStatement(ExpressionStatementSyntax node)
        {
            var visited = (ExpressionStatementSyntax)base.VisitExpressionStatement(node)!;
            if (node.Expression is not InvocationExpressionSyntax call || model.GetSymbolInfo(call).Symbol is not IMethodSymbol { ReturnsVoid: true } method || !IsDeclaredInLoadedFile(method))
                return visited;

            var (line, column) = NamePosition(call);
            var outer = $"__orchestratorCaller_{line}_{column}";
            var block = SyntaxFactory.ParseStatement(
                $"{{var {outer}={CallSiteType}.Enter({_fileLiteral},{line},{column});{visited.WithoutTrivia().ToFullString()}{CallSiteType}.Leave({outer});}}");
            return block.WithTriviaFrom(visited);
        }

        private bool IsDeclaredInLoadedFile(IMethodSymbol method) =>
            method.OriginalDefinition.DeclaringSyntaxReferences.Any(r => r.SyntaxTree.FilePath.Length > 0 && !string.Equals(r.SyntaxTree.FilePath, file, StringComparison.Ordinal));

        private static bool IsParamsRecipeCall(InvocationExpressionSyntax node, IMethodSymbol method) =>
            node.Expression is MemberAccessExpressionSyntax
            && method.Parameters.Any(p => p.IsParams)
            && method.ContainingType?.ContainingNamespace?.ToDisplayString() == RecipesNamespace;

        private InvocationExpressionSyntax WithAnnotatedReceiver(InvocationExpressionSyntax node, InvocationExpressionSyntax visited, IMethodSymbol method)
        {
            var line = NamePosition(node).Line;
            var access = (MemberAccessExpressionSyntax)visited.Expression;
            var annotated = SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression($"{CallSiteType}.At"),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(
                [
                    SyntaxFactory.Argument(access.Expression.WithoutTrivia()),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(file))),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(line))),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(method.Name))),
                ])));
            return visited.WithExpression(access.WithExpression(annotated.WithTriviaFrom(access.Expression)));
        }

        /// <summary>1-based line and column of the called method's name (<c>NodeApp</c> in <c>NodeRecipes.NodeApp(...)</c>).</summary>
        private static (int Line, int Column) NamePosition(InvocationExpressionSyntax node)
        {
            SyntaxNode name = node.Expression switch
            {
                MemberAccessExpressionSyntax access => access.Name,
                _ => node.Expression,
            };
            var start = name.GetLocation().GetLineSpan().StartLinePosition;
            return (start.Line + 1, start.Character + 1);
        }
    }
}
