using Autolab.Slurm.Errors;
using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>interface.md, Get-SlurmJobId: <c>123</c>, <c>123_4</c>, <c>123_[1-3]</c>, <c>123+1</c>; anything else is InvalidJobId.</summary>
public class SlurmJobIdTests
{
    [Theory]
    [InlineData("123", "123", SlurmJobIdKind.Job, 123L, null)]
    [InlineData("1", "1", SlurmJobIdKind.Job, 1L, null)]
    [InlineData("4294967294", "4294967294", SlurmJobIdKind.Job, 4294967294L, null)]
    [InlineData("123_4", "123_4", SlurmJobIdKind.ArrayTask, 123L, 4L)]
    [InlineData("123_0", "123_0", SlurmJobIdKind.ArrayTask, 123L, 0L)]
    [InlineData("123+1", "123+1", SlurmJobIdKind.HetComponent, 123L, 1L)]
    [InlineData("123+0", "123+0", SlurmJobIdKind.HetComponent, 123L, 0L)]
    public void ParseExpand_SingleShape_OneIdOfThatKind(string text, string expectedText, SlurmJobIdKind kind, long baseId, long? index)
    {
        var ids = SlurmJobId.ParseExpand(text);

        var id = Assert.Single(ids);
        Assert.Equal(expectedText, id.Text);
        Assert.Equal(kind, id.Kind);
        Assert.Equal(baseId, id.BaseId);
        Assert.Equal(index, id.Index);
        Assert.Equal(expectedText, id.ToString());
        Assert.True(SlurmJobId.IsValid(text));
    }

    [Theory]
    [InlineData("123_[1-3]", new[] { "123_1", "123_2", "123_3" })]
    [InlineData("123_[1,3,5-7]", new[] { "123_1", "123_3", "123_5", "123_6", "123_7" })]
    [InlineData("123_[5]", new[] { "123_5" })]
    [InlineData("123_[0-0]", new[] { "123_0" })]
    [InlineData("19_[0-2]", new[] { "19_0", "19_1", "19_2" })]
    public void ParseExpand_ArrayRange_OneArrayTaskIdPerTask(string text, string[] expected)
    {
        var ids = SlurmJobId.ParseExpand(text);

        Assert.Equal(expected, ids.Select(i => i.Text));
        Assert.All(ids, i => Assert.Equal(SlurmJobIdKind.ArrayTask, i.Kind));
        Assert.All(ids, i => Assert.Equal(long.Parse(text[..text.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), i.BaseId));
    }

    [Fact]
    public void ParseExpand_RangeOfExactlyMaxTasks_Expands()
    {
        var ids = SlurmJobId.ParseExpand($"7_[0-{SlurmJobId.MaxRangeTasks - 1}]");

        Assert.Equal(SlurmJobId.MaxRangeTasks, ids.Count);
        Assert.Equal("7_0", ids[0].Text);
        Assert.Equal($"7_{SlurmJobId.MaxRangeTasks - 1}", ids[^1].Text);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("12abc")]
    [InlineData("abc12")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("123_")]
    [InlineData("123_[3-1]")]
    [InlineData("123_[]")]
    [InlineData("123_[1-]")]
    [InlineData("123_[-1]")]
    [InlineData("123_[1-3")]
    [InlineData("123_1-3")]
    [InlineData("123_[1-3]x")]
    [InlineData("123_[1-3%2]")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("_1")]
    [InlineData("123;rm -rf /")]
    [InlineData("123;rm -rf")]
    [InlineData("123 4")]
    [InlineData("123 _4")]
    [InlineData("123_ 4")]
    [InlineData("12\t3")]
    [InlineData("123\n456")]
    [InlineData("123_[1-99999999]")]
    [InlineData("123_[0-10000]")]
    [InlineData("123_[0-5000,6000-11000]")]
    [InlineData("99999999999999999999")]
    [InlineData("1_2_3")]
    [InlineData("123+")]
    [InlineData("123+1+2")]
    [InlineData("123_4+1")]
    [InlineData("123+1_4")]
    [InlineData("123.batch")]
    [InlineData("123.0")]
    [InlineData("123,124")]
    [InlineData("0x1F")]
    [InlineData("1e3")]
    [InlineData("$(id)")]
    [InlineData("`id`")]
    [InlineData("123'")]
    [InlineData("\u0661\u0662\u0663")]
    [InlineData("\uFF11\uFF12\uFF13")]
    [InlineData("12\u0663")]
    [InlineData("123_\u0664")]
    public void ParseExpand_InvalidShape_ThrowsInvalidJobId(string text)
    {
        var error = Assert.Throws<AutolabException>(() => SlurmJobId.ParseExpand(text));

        Assert.Equal(ErrorIds.InvalidJobId, error.ErrorId);
        Assert.Equal(AutolabErrorCategory.InvalidArgument, error.Category);
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.False(SlurmJobId.IsValid(text));
    }

    [Fact]
    public void ParseExpand_Null_ThrowsInvalidJobId()
    {
        var error = Assert.Throws<AutolabException>(() => SlurmJobId.ParseExpand(null));

        Assert.Equal(ErrorIds.InvalidJobId, error.ErrorId);
    }

    [Fact]
    public void ParseExpand_RangeOneOverMaxTasks_ThrowsInvalidJobId()
    {
        var error = Assert.Throws<AutolabException>(() => SlurmJobId.ParseExpand($"7_[0-{SlurmJobId.MaxRangeTasks}]"));

        Assert.Equal(ErrorIds.InvalidJobId, error.ErrorId);
    }

    [Theory]
    [InlineData("123_[1-3]")]
    [InlineData("123_[1,3,5-7]")]
    [InlineData("123+1")]
    [InlineData("123_4")]
    public void ParseExpand_ValidShape_TextHoldsOnlyDigitsAndOneSeparator(string text)
    {
        // What reaches a scheduler command line: never a bracket, comma, space or shell character.
        Assert.All(SlurmJobId.ParseExpand(text), id => Assert.Matches("^[0-9]+([_+][0-9]+)?$", id.Text));
    }
}
