namespace Orchestrator.Dockerfiles;

/// <summary>A here-document attached to an instruction: <c>&lt;&lt;EOF</c> … <c>EOF</c>.</summary>
internal sealed record Heredoc(string Name, string Content, bool Expand);

/// <summary>
/// One instruction after continuation lines are joined and comments dropped: the keyword (upper case),
/// the text after it, the line the instruction starts on and any here-documents that follow it.
/// </summary>
internal sealed record LogicalLine(int Line, string Keyword, string Arguments, IReadOnlyList<Heredoc> Heredocs);
