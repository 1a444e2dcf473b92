namespace Autolab.Slurm.HelpBuilder.Markdown;

public enum TextKind
{
    /// <summary>Running text: soft line breaks already joined, hard breaks kept as '\n'.</summary>
    Paragraph,

    /// <summary>One list item's first paragraph; <see cref="TextBlock.Marker"/> holds "- " or "1. ".</summary>
    ListItem,

    /// <summary>A code block: lines kept exactly, never wrapped.</summary>
    Code,

    /// <summary>Text whose layout matters (a table, an HTML block): kept as written, never wrapped.</summary>
    Preformatted,

    /// <summary>A heading inside a free-text section.</summary>
    Heading,
}

/// <summary>
/// The layout-neutral form of one markdown block, shared by the MAML writer and the about-topic writer.
/// Depth counts list nesting: a paragraph continuing a first-level list item has depth 1. Continues is set on
/// the blocks of a tight list after its first, which follow the block before them without a blank line.
/// </summary>
public sealed record TextBlock(TextKind Kind, string Text, int Depth = 0, string Marker = "", bool Continues = false)
{
    public override string ToString() => Text;
}
