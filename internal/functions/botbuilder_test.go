package functions

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// botbuilder: the activity and card builders of Microsoft's Bot Framework
// SDK, each case an action of ours returning what they built, compared
// with what the SDK's own functions return for the same arguments.
func TestBotbuilderModule(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	const named = `import { ActivityTypes, ActionTypes, AttachmentLayoutTypes, InputHints, TextFormatTypes, RoleTypes, EndOfConversationCodes, MessageFactory, CardFactory } from 'botbuilder';`
	const def = `import bb from 'botbuilder';`
	const hero = `{"contentType":"application/vnd.microsoft.card.hero","content":{"title":"T","images":[{"url":"https://x/i.png"}],"buttons":[{"type":"imBack","value":"buy","title":"buy"}]}}`
	cases := []struct {
		name, imports, body, want string
	}{
		// The enums, whole.
		{"ActivityTypes", named, `return ActivityTypes;`,
			`{"Message":"message","ContactRelationUpdate":"contactRelationUpdate","ConversationUpdate":"conversationUpdate","Typing":"typing","EndOfConversation":"endOfConversation","Event":"event","Invoke":"invoke","InvokeResponse":"invokeResponse","DeleteUserData":"deleteUserData","MessageUpdate":"messageUpdate","MessageDelete":"messageDelete","InstallationUpdate":"installationUpdate","MessageReaction":"messageReaction","Suggestion":"suggestion","Trace":"trace","Handoff":"handoff","Command":"command","CommandResult":"commandResult"}`},
		{"ActionTypes", named, `return ActionTypes;`,
			`{"OpenUrl":"openUrl","ImBack":"imBack","PostBack":"postBack","PlayAudio":"playAudio","PlayVideo":"playVideo","ShowImage":"showImage","DownloadFile":"downloadFile","Signin":"signin","Call":"call","Payment":"payment","MessageBack":"messageBack","OpenApp":"openApp"}`},
		{"the small enums", named, `return [AttachmentLayoutTypes, InputHints, TextFormatTypes, RoleTypes, EndOfConversationCodes];`,
			`[{"List":"list","Carousel":"carousel"},{"AcceptingInput":"acceptingInput","IgnoringInput":"ignoringInput","ExpectingInput":"expectingInput"},` +
				`{"Markdown":"markdown","Plain":"plain","Xml":"xml"},{"User":"user","Bot":"bot","Skill":"skill"},` +
				`{"Unknown":"unknown","CompletedSuccessfully":"completedSuccessfully","UserCancelled":"userCancelled","BotTimedOut":"botTimedOut","BotIssuedInvalidMessage":"botIssuedInvalidMessage","ChannelFailed":"channelFailed"}]`},
		{"the default import is the module", def,
			`return [Object.keys(bb), bb.ActivityTypes.Typing, bb.MessageFactory.text('x').type];`,
			`[["ActivityTypes","ActionTypes","AttachmentLayoutTypes","InputHints","TextFormatTypes","RoleTypes","EndOfConversationCodes","MessageFactory","CardFactory"],"typing","message"]`},
		{"a namespace import", `import * as bb from 'botbuilder';`,
			`return [bb.InputHints.ExpectingInput, bb.default.RoleTypes.Bot, bb.CardFactory.contentTypes.heroCard];`,
			`["expectingInput","bot","application/vnd.microsoft.card.hero"]`},

		// MessageFactory
		{"text", named, `return MessageFactory.text('Hi');`, `{"type":"message","text":"Hi","inputHint":"acceptingInput"}`},
		{"text with speak and a hint", named, `return MessageFactory.text('Hi', '<speak>Hi</speak>', InputHints.ExpectingInput);`,
			`{"type":"message","text":"Hi","inputHint":"expectingInput","speak":"<speak>Hi</speak>"}`},
		{"suggestedActions: strings are imBack actions", named,
			`return MessageFactory.suggestedActions(['Red', { type: ActionTypes.OpenUrl, title: 'Docs', value: 'https://docs' }], 'Pick one', 'Pick');`,
			`{"type":"message","inputHint":"acceptingInput","suggestedActions":{"actions":[{"type":"imBack","value":"Red","title":"Red"},{"type":"openUrl","title":"Docs","value":"https://docs"}]},"text":"Pick one","speak":"Pick"}`},
		{"suggestedActions without text", def, `return bb.MessageFactory.suggestedActions([], '', undefined, 'ignoringInput');`,
			`{"type":"message","inputHint":"ignoringInput","suggestedActions":{"actions":[]}}`},
		{"attachment", named, `return MessageFactory.attachment(CardFactory.heroCard('T', ['https://x/i.png'], ['buy']), 'Look');`,
			`{"type":"message","attachmentLayout":"list","attachments":[` + hero + `],"inputHint":"acceptingInput","text":"Look"}`},
		{"list", def, `return bb.MessageFactory.list([bb.CardFactory.adaptiveCard({ type: 'AdaptiveCard' })], undefined, 'say');`,
			`{"type":"message","attachmentLayout":"list","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard"}}],"inputHint":"acceptingInput","speak":"say"}`},
		{"carousel", named, `return MessageFactory.carousel([CardFactory.heroCard('T', ['https://x/i.png'], ['buy'])], 'a', 'b', InputHints.IgnoringInput);`,
			`{"type":"message","attachmentLayout":"carousel","attachments":[` + hero + `],"inputHint":"ignoringInput","text":"a","speak":"b"}`},
		{"contentUrl", named, `return [MessageFactory.contentUrl('https://x/a.png', 'image/png', 'a.png', 'A picture'), MessageFactory.contentUrl('https://x/v.mp4', 'video/mp4')];`,
			`[{"type":"message","attachmentLayout":"list","attachments":[{"contentType":"image/png","contentUrl":"https://x/a.png","name":"a.png"}],"inputHint":"acceptingInput","text":"A picture"},` +
				`{"type":"message","attachmentLayout":"list","attachments":[{"contentType":"video/mp4","contentUrl":"https://x/v.mp4"}],"inputHint":"acceptingInput"}]`},

		// CardFactory
		{"contentTypes", named, `return CardFactory.contentTypes;`,
			`{"adaptiveCard":"application/vnd.microsoft.card.adaptive","animationCard":"application/vnd.microsoft.card.animation","audioCard":"application/vnd.microsoft.card.audio",` +
				`"heroCard":"application/vnd.microsoft.card.hero","receiptCard":"application/vnd.microsoft.card.receipt","oauthCard":"application/vnd.microsoft.card.oauth",` +
				`"o365ConnectorCard":"application/vnd.microsoft.teams.card.o365connector","signinCard":"application/vnd.microsoft.card.signin",` +
				`"thumbnailCard":"application/vnd.microsoft.card.thumbnail","videoCard":"application/vnd.microsoft.card.video"}`},
		{"adaptiveCard keeps the card as given", named,
			`const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'x' }] }; const a = CardFactory.adaptiveCard(card); return [a, a.content === card];`,
			`[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x"}]}},true]`},
		{"heroCard with text, image objects and other fields", named,
			`return CardFactory.heroCard('T', 'Body', [{ url: 'https://x/i.png', alt: 'i' }], [{ type: 'openUrl', title: 'Go', value: 'https://x' }], { subtitle: 'S', title: 'ignored' });`,
			`{"contentType":"application/vnd.microsoft.card.hero","content":{"subtitle":"S","title":"T","text":"Body","images":[{"url":"https://x/i.png","alt":"i"}],"buttons":[{"type":"openUrl","title":"Go","value":"https://x"}]}}`},
		{"heroCard with a title only", named, `return CardFactory.heroCard('T');`, `{"contentType":"application/vnd.microsoft.card.hero","content":{"title":"T"}}`},
		{"thumbnailCard", def, `return bb.CardFactory.thumbnailCard('', 'Text', ['https://x/t.png'], undefined, { tap: { type: 'openUrl', value: 'https://x' } });`,
			`{"contentType":"application/vnd.microsoft.card.thumbnail","content":{"tap":{"type":"openUrl","value":"https://x"},"text":"Text","images":[{"url":"https://x/t.png"}]}}`},
		{"animationCard", named, `return CardFactory.animationCard('A', ['https://x/a.gif'], ['again'], { autoloop: true });`,
			`{"contentType":"application/vnd.microsoft.card.animation","content":{"autoloop":true,"title":"A","media":[{"url":"https://x/a.gif"}],"buttons":[{"type":"imBack","value":"again","title":"again"}]}}`},
		{"audioCard", named, `return CardFactory.audioCard('Song', [{ url: 'https://x/s.mp3', profile: 'hq' }]);`,
			`{"contentType":"application/vnd.microsoft.card.audio","content":{"title":"Song","media":[{"url":"https://x/s.mp3","profile":"hq"}]}}`},
		{"videoCard", named, `return CardFactory.videoCard('', [], [], { aspect: '16:9' });`,
			`{"contentType":"application/vnd.microsoft.card.video","content":{"aspect":"16:9","media":[],"buttons":[]}}`},
		{"receiptCard", named, `return CardFactory.receiptCard({ title: 'R', total: '$1' });`,
			`{"contentType":"application/vnd.microsoft.card.receipt","content":{"title":"R","total":"$1"}}`},
		{"o365ConnectorCard", named, `return CardFactory.o365ConnectorCard({ title: 'O', sections: [{ text: 's' }] });`,
			`{"contentType":"application/vnd.microsoft.teams.card.o365connector","content":{"title":"O","sections":[{"text":"s"}]}}`},
		{"signinCard", named, `return [CardFactory.signinCard('Sign in', 'https://login', 'Please'), CardFactory.signinCard('Sign in', 'https://login')];`,
			`[{"contentType":"application/vnd.microsoft.card.signin","content":{"buttons":[{"type":"signin","title":"Sign in","value":"https://login"}],"text":"Please"}},` +
				`{"contentType":"application/vnd.microsoft.card.signin","content":{"buttons":[{"type":"signin","title":"Sign in","value":"https://login"}]}}]`},
		{"oauthCard", named,
			`return [CardFactory.oauthCard('github', 'Sign in', 'Please', 'https://login', { id: 'x', uri: 'api://x' }, { sasUrl: 'https://sas' }), CardFactory.oauthCard('github', 'Sign in')];`,
			`[{"contentType":"application/vnd.microsoft.card.oauth","content":{"buttons":[{"type":"signin","title":"Sign in","value":"https://login"}],"connectionName":"github","tokenExchangeResource":{"id":"x","uri":"api://x"},"tokenPostResource":{"sasUrl":"https://sas"},"text":"Please"}},` +
				`{"contentType":"application/vnd.microsoft.card.oauth","content":{"buttons":[{"type":"signin","title":"Sign in"}],"connectionName":"github"}}]`},
		{"actions, images and media", named,
			`return [CardFactory.actions(['a', 7, { type: 'postBack', value: 'p' }]), CardFactory.images(['https://x/i', { url: 'https://x/j' }]), CardFactory.media(['https://x/m']), CardFactory.actions(undefined), CardFactory.images(), CardFactory.media(null)];`,
			`[[{"type":"imBack","value":"a","title":"a"},{"type":"imBack","value":"7","title":"7"},{"type":"postBack","value":"p"}],[{"url":"https://x/i"},{"url":"https://x/j"}],[{"url":"https://x/m"}],[],[],[]]`},
		// JSON drops them, but the SDK's actions carry a channelData key.
		{"an action's channelData is there, undefined", named,
			`const [a] = CardFactory.actions(['x']); const [s] = CardFactory.signinCard('t', 'u').content.buttons; return ['channelData' in a, a.channelData === undefined, 'channelData' in s];`,
			`[true,true,true]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := surfaceRun(t, rt, &fakeHost{}, c.imports, c.body); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// The SDK's adapters and network parts are not there: the function is told
// so, and what to use, at compile time when the code names them in an
// import, at run time when it reads them from the default import.
func TestBotbuilderUnavailable(t *testing.T) {
	t.Parallel()
	const entry = "github/actions/a.ts"
	compileCases := []struct {
		name, src string
		want      Position
	}{
		{"a named import", "import { MessageFactory, CloudAdapter } from 'botbuilder';\nexport default [MessageFactory, CloudAdapter];\n",
			Position{File: entry, Line: 1, Column: 26, Message: botbuilderUnavailable("CloudAdapter")}},
		{"a namespace import's member", "import * as bb from 'botbuilder';\nexport default new bb.TurnContext();\n",
			Position{File: entry, Line: 2, Column: 23, Message: botbuilderUnavailable("TurnContext")}},
		{"a misspelt name", "import { MesageFactory } from 'botbuilder';\nexport default MesageFactory;\n",
			Position{File: entry, Line: 1, Column: 10, Message: botbuilderUnavailable("MesageFactory")}},
	}
	for _, c := range compileCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(Source{Files: map[string]string{entry: c.src}, Entry: entry})
			ce, ok := IsCompileError(err)
			if !ok || len(ce.Errors) != 1 {
				t.Fatalf("err = %v, want one compile error", err)
			}
			got := ce.Errors[0]
			got.LineText = ""
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("error = %+v\nwant    %+v", got, c.want)
			}
		})
	}
	t.Run("the message", func(t *testing.T) {
		t.Parallel()
		msg := botbuilderUnavailable("ConnectorClient")
		for _, part := range []string{"botbuilder: ConnectorClient is not available in the sandbox", "MessageFactory, CardFactory", "nango.proxy", "Bot Connector REST API"} {
			if !strings.Contains(msg, part) {
				t.Errorf("%q lacks %q", msg, part)
			}
		}
	})
	t.Run("the resolver lists botbuilder", func(t *testing.T) {
		t.Parallel()
		_, err := Compile(Source{Files: map[string]string{entry: "import b from 'botbuilder-core';\nexport default b;\n"}, Entry: entry})
		if err == nil || !strings.Contains(err.Error(), `cannot import "botbuilder-core"`) || !strings.Contains(err.Error(), `"botbuilder"`) {
			t.Errorf("err = %v", err)
		}
	})

	rt := NewRuntime()
	runCases := []struct {
		name, body, want string
	}{
		{"read from the default import", `try { return new bb.BotFrameworkAdapter({}); } catch (e) { return e.message; }`, botbuilderUnavailable("BotFrameworkAdapter")},
		{"destructured", `try { const { ConnectorClient } = bb; return typeof ConnectorClient; } catch (e) { return e.message; }`, botbuilderUnavailable("ConnectorClient")},
		{"storage", `try { return bb.MemoryStorage; } catch (e) { return e.message; }`, botbuilderUnavailable("MemoryStorage")},
		// A name the SDK does not export either is undefined, as on any object.
		{"a name botbuilder lacks too", `return String(bb.NoSuchThing);`, "undefined"},
		{"not listed among the keys", `return Object.keys(bb).filter((k) => k.endsWith('Adapter')).join();`, ""},
	}
	for _, c := range runCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := surfaceRun(t, rt, &fakeHost{}, `import bb from 'botbuilder';`, c.body)
			if want := jsonString(c.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// jsonString is s as the JSON string an action returning it outputs.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
