using System.Text;
using System.Xml.Linq;
using Autolab.Slurm.HelpBuilder.Maml;
using Autolab.Slurm.HelpBuilder.Markdown;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Tests;

public class MamlWriterTests
{
    private static readonly XNamespace Maml = MamlWriter.Maml;
    private static readonly XNamespace Command = MamlWriter.Command;
    private static readonly XNamespace Dev = MamlWriter.Dev;

    private static CommandHelp Parse(string page)
    {
        var result = CommandPageParser.Parse(Fixtures.PathOf(page), Fixtures.Read(page));
        Assert.Empty(result.Diagnostics);
        return result.Value!;
    }

    /// <summary>The sample cmdlet written and read back, as PowerShell will read it.</summary>
    private static XElement CmdletCommand()
    {
        var bytes = MamlWriter.Serialize(MamlWriter.Build([Parse(Fixtures.CmdletPage)]));
        var document = XDocument.Parse(Encoding.UTF8.GetString(bytes));
        return Assert.Single(document.Root!.Elements(Command + "command"));
    }

    private static XElement ParameterIn(XElement container, string name) =>
        container.Elements(Command + "parameter").Single(p => (string?)p.Element(Maml + "name") == name);

    private static IEnumerable<string> Paras(XElement? container) =>
        container?.Elements(Maml + "para").Select(p => p.Value) ?? [];

    [Fact]
    public void Build_Root_IsMamlHelpItems()
    {
        var document = MamlWriter.Build([Parse(Fixtures.CmdletPage)]);

        Assert.Equal(XName.Get("helpItems", "http://msh"), document.Root!.Name);
        Assert.Equal("maml", (string?)document.Root.Attribute("schema"));
    }

    [Fact]
    public void Build_Details_HoldNameVerbNounAndSynopsis()
    {
        var details = CmdletCommand().Element(Command + "details")!;

        Assert.Equal("Get-DemoJob", details.Element(Command + "name")!.Value);
        Assert.Equal("Get", details.Element(Command + "verb")!.Value);
        Assert.Equal("DemoJob", details.Element(Command + "noun")!.Value);
        Assert.Equal(["Gets demo jobs by id or by name."], Paras(details.Element(Maml + "description")));
    }

    [Fact]
    public void Build_Description_IsOneParaPerBlock()
    {
        var paras = Paras(CmdletCommand().Element(Maml + "description")).ToList();

        Assert.Equal(5, paras.Count);
        Assert.StartsWith("The `Get-DemoJob` cmdlet", paras[0], StringComparison.Ordinal);
        Assert.Equal("Get-DemoJob -JobId 7 |\n    Format-List *", paras[4]);
    }

    [Fact]
    public void Build_Syntax_HasOneItemPerSetWithItsParametersInSyntaxOrder()
    {
        var items = CmdletCommand().Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();

        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("Get-DemoJob", i.Element(Maml + "name")!.Value));
        Assert.Equal(["JobId", "State", "IncludeSteps"], items[0].Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value));
        Assert.Equal(["Name", "State", "IncludeSteps"], items[1].Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value));
    }

    [Fact]
    public void Build_SyntaxParameter_CarriesAttributesAndTypedValue()
    {
        var jobId = ParameterIn(CmdletCommand().Element(Command + "syntax")!.Elements(Command + "syntaxItem").First(), "JobId");

        Assert.Equal("true", (string?)jobId.Attribute("required"));
        Assert.Equal("0", (string?)jobId.Attribute("position"));
        Assert.Equal("True (ByPropertyName)", (string?)jobId.Attribute("pipelineInput"));
        Assert.Equal("false", (string?)jobId.Attribute("globbing"));
        Assert.Equal("JobIdRaw", (string?)jobId.Attribute("aliases"));
        Assert.Equal("true", (string?)jobId.Attribute("variableLength"));
        var value = jobId.Element(Command + "parameterValue")!;
        Assert.Equal("String[]", value.Value);
        Assert.Equal("true", (string?)value.Attribute("required"));
        Assert.Equal("String[]", jobId.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("None", jobId.Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void Build_AcceptedValues_BecomeParameterValueGroup()
    {
        var state = ParameterIn(CmdletCommand().Element(Command + "syntax")!.Elements(Command + "syntaxItem").First(), "State");

        var group = state.Element(Command + "parameterValueGroup")!;
        Assert.Equal(["Pending", "Running", "Completed"], group.Elements(Command + "parameterValue").Select(v => v.Value));
        Assert.Equal("named", (string?)state.Attribute("position"));
        Assert.Equal("none", (string?)state.Attribute("aliases"));
    }

    [Fact]
    public void Build_SwitchInSyntax_HasNoParameterValue()
    {
        var command = CmdletCommand();
        var inSyntax = ParameterIn(command.Element(Command + "syntax")!.Elements(Command + "syntaxItem").First(), "IncludeSteps");
        var inParameters = ParameterIn(command.Element(Command + "parameters")!, "IncludeSteps");

        Assert.Null(inSyntax.Element(Command + "parameterValue"));
        var value = inParameters.Element(Command + "parameterValue")!;
        Assert.Equal("SwitchParameter", value.Value);
        Assert.Equal("false", (string?)value.Attribute("required"));
    }

    [Fact]
    public void Build_Parameters_ListEachDocumentedParameterOnceWithDescription()
    {
        var parameters = CmdletCommand().Element(Command + "parameters")!.Elements(Command + "parameter").ToList();

        Assert.Equal(["JobId", "Name", "State", "IncludeSteps"], parameters.Select(p => p.Element(Maml + "name")!.Value));
        Assert.Equal(["The job name. Wildcards are allowed."], Paras(parameters[1].Element(Maml + "description")));
        Assert.Equal("true", (string?)parameters[1].Attribute("globbing"));
    }

    [Fact]
    public void Build_InputsOutputsAndNotes_AreTypedAndDescribed()
    {
        var command = CmdletCommand();

        var input = Assert.Single(command.Element(Command + "inputTypes")!.Elements(Command + "inputType"));
        Assert.Equal("System.String[]", input.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal(["Job ids, by property name."], Paras(input.Element(Maml + "description")));
        var output = Assert.Single(command.Element(Command + "returnValues")!.Elements(Command + "returnValue"));
        Assert.Equal("System.String", output.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal(["Demo jobs are not real jobs."], Paras(command.Element(Maml + "alertSet")!.Element(Maml + "alert")));
    }

    [Fact]
    public void Build_NoNotes_WritesNoAlertSet()
    {
        var document = MamlWriter.Build([Parse(Fixtures.FunctionPage)]);

        Assert.Empty(document.Descendants(Maml + "alertSet"));
    }

    [Fact]
    public void Build_Examples_HaveTitleCodeAndRemarksEndingInBlankPara()
    {
        var examples = CmdletCommand().Element(Command + "examples")!.Elements(Command + "example").ToList();

        Assert.Equal(2, examples.Count);
        Assert.Equal("---------- Example 1: Get one job ----------", examples[0].Element(Maml + "title")!.Value);
        Assert.Equal("PS> Get-DemoJob -JobId 42", examples[0].Element(Dev + "code")!.Value);
        Assert.Equal(["Gets job 42 in the Running state.", string.Empty], Paras(examples[0].Element(Dev + "remarks")));
        Assert.Null(examples[0].Element(Maml + "introduction"));
    }

    [Fact]
    public void Build_ExampleTextBeforeCode_IsIntroductionEndingInBlankLine()
    {
        var example = MamlWriter.Build([Parse(Fixtures.FunctionPage)]).Descendants(Command + "example").ElementAt(1);

        Assert.Equal(["Text before the code introduces the example.\n\n"], Paras(example.Element(Maml + "introduction")));
        Assert.True(example.Element(Maml + "introduction")!.ElementsAfterSelf().First().Name == Dev + "code");
    }

    [Fact]
    public void Build_RelatedLinks_StartWithOnlineVersion()
    {
        var links = CmdletCommand().Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink")
            .Select(l => (l.Element(Maml + "linkText")!.Value, l.Element(Maml + "uri")!.Value))
            .ToList();

        Assert.Equal(
            [("Online Version:", "https://example.org/help/Get-DemoJob"), ("about_HbDemo", string.Empty), ("Slurm sacct", "https://slurm.schedmd.com/sacct.html")],
            links);
    }

    [Fact]
    public void Build_ElementOrder_FollowsMamlSchema()
    {
        var names = CmdletCommand().Elements().Select(e => e.Name.LocalName);

        Assert.Equal(
            ["details", "description", "syntax", "parameters", "inputTypes", "returnValues", "alertSet", "examples", "relatedLinks"],
            names);
    }

    [Fact]
    public void Build_SeveralPages_WritesOneCommandEach()
    {
        var document = MamlWriter.Build([Parse(Fixtures.CmdletPage), Parse(Fixtures.FunctionPage)]);

        Assert.Equal(
            ["Get-DemoJob", "Invoke-DemoStage"],
            document.Root!.Elements(Command + "command").Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value));
    }

    [Fact]
    public void Build_ParameterWithoutMetadata_Throws()
    {
        var help = Parse(Fixtures.CmdletPage);
        var broken = help with { Parameters = [.. help.Parameters, new ParameterHelp("Extra", [], [])] };

        var error = Assert.Throws<ArgumentException>(() => MamlWriter.Build([broken]));

        Assert.Contains("Get-DemoJob -Extra", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_Document_IsUtf8WithoutBomAndRepeatable()
    {
        var first = MamlWriter.Serialize(MamlWriter.Build([Parse(Fixtures.CmdletPage)]));
        var second = MamlWriter.Serialize(MamlWriter.Build([Parse(Fixtures.CmdletPage)]));

        Assert.NotEqual(0xEF, first[0]);
        Assert.Equal(first, second);
        var text = Encoding.UTF8.GetString(first);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<helpItems", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_TextWithMarkup_IsEscaped()
    {
        var help = Parse(Fixtures.CmdletPage) with { Synopsis = "Gets <jobs> & steps." };

        var text = Encoding.UTF8.GetString(MamlWriter.Serialize(MamlWriter.Build([help])));

        Assert.Contains("Gets &lt;jobs&gt; &amp; steps.", text, StringComparison.Ordinal);
    }
}
