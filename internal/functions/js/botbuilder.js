// botbuilder: the data-building part of Microsoft's Bot Framework SDK
// (v4), one of the packages Nango's CLI lets functions import. A function
// runs inside a sync or an action, with no server to receive activities,
// so only what builds an activity or a card is here: the schema's string
// enums, MessageFactory and CardFactory, returning the objects the SDK's
// do. The adapters, TurnContext, the connector client, storage and state
// need a bot endpoint and the SDK's own HTTP client; reading one of those
// names from the module throws, with what to do instead (send the
// activity with nango.proxy to the Bot Connector REST API). compile.go
// turns a named import of such a name into a compile error saying the same.
//
// The module is built on first use: this file is evaluated in every VM
// and almost no function imports botbuilder.

// notAvailable is the error for a name the SDK exports and the sandbox
// does not; compile.go's botbuilderUnavailable says the same at compile time.
function notAvailable(name) {
  return new Error(
    `botbuilder: ${name} is not available in the sandbox: only the activity and card builders are (` +
      'ActivityTypes, ActionTypes, AttachmentLayoutTypes, InputHints, TextFormatTypes, RoleTypes, EndOfConversationCodes, MessageFactory, CardFactory); ' +
      "botbuilder's adapters and network parts (BotFrameworkAdapter, CloudAdapter, TurnContext, ConnectorClient, storage and state) are not. " +
      'Build the activity with MessageFactory or CardFactory and send it with nango.proxy to the Bot Connector REST API ' +
      '(POST /v3/conversations/{conversationId}/activities).',
  );
}

// The SDK's exports that need a bot's server, its credentials or its HTTP
// client: reading one from the default import throws notAvailable, where
// it would otherwise be a puzzling undefined.
const UNAVAILABLE = [
  'ActivityHandler', 'ActivityHandlerBase', 'ActivityFactory', 'AutoSaveStateMiddleware', 'BotAdapter',
  'BotComponent', 'BotFrameworkAdapter', 'BotFrameworkHttpAdapter', 'BotFrameworkHttpClient', 'BotState',
  'BotStatePropertyAccessor', 'BotStateSet', 'BrowserLocalStorage', 'BrowserSessionStorage',
  'ChannelServiceHandler', 'ChannelServiceHandlerBase', 'ChannelServiceRoutes', 'CloudAdapter', 'CloudAdapterBase',
  'CloudChannelServiceHandler', 'CloudSkillHandler', 'ConfigurationBotFrameworkAuthentication',
  'ConfigurationServiceClientCredentialFactory', 'ConnectorClient', 'ConsoleTranscriptLogger',
  'ConversationState', 'EventFactory', 'FileTranscriptStore', 'InspectionMiddleware', 'InspectionState',
  'MemoryStorage', 'MemoryTranscriptStore', 'MiddlewareSet', 'NullTelemetryClient', 'PrivateConversationState',
  'ShowTypingMiddleware', 'SkillConversationIdFactory', 'SkillHandler', 'SkillHttpClient', 'StatusCodes',
  'StreamingHttpClient', 'TeamsActivityHandler', 'TeamsInfo', 'TeamsSSOTokenExchangeMiddleware',
  'TelemetryLoggerMiddleware', 'TestAdapter', 'TestFlow', 'TranscriptLoggerMiddleware', 'TurnContext',
  'TurnContextStateCollection', 'UserState', 'UserTokenClient', 'createBotFrameworkAuthenticationFromConfiguration',
  'createServiceClientCredentialFactoryFromConfiguration',
];

function build() {
  const ActivityTypes = {
    Message: 'message',
    ContactRelationUpdate: 'contactRelationUpdate',
    ConversationUpdate: 'conversationUpdate',
    Typing: 'typing',
    EndOfConversation: 'endOfConversation',
    Event: 'event',
    Invoke: 'invoke',
    InvokeResponse: 'invokeResponse',
    DeleteUserData: 'deleteUserData',
    MessageUpdate: 'messageUpdate',
    MessageDelete: 'messageDelete',
    InstallationUpdate: 'installationUpdate',
    MessageReaction: 'messageReaction',
    Suggestion: 'suggestion',
    Trace: 'trace',
    Handoff: 'handoff',
    Command: 'command',
    CommandResult: 'commandResult',
  };
  const ActionTypes = {
    OpenUrl: 'openUrl',
    ImBack: 'imBack',
    PostBack: 'postBack',
    PlayAudio: 'playAudio',
    PlayVideo: 'playVideo',
    ShowImage: 'showImage',
    DownloadFile: 'downloadFile',
    Signin: 'signin',
    Call: 'call',
    Payment: 'payment',
    MessageBack: 'messageBack',
    OpenApp: 'openApp',
  };
  const AttachmentLayoutTypes = { List: 'list', Carousel: 'carousel' };
  const InputHints = { AcceptingInput: 'acceptingInput', IgnoringInput: 'ignoringInput', ExpectingInput: 'expectingInput' };
  const TextFormatTypes = { Markdown: 'markdown', Plain: 'plain', Xml: 'xml' };
  const RoleTypes = { User: 'user', Bot: 'bot', Skill: 'skill' };
  const EndOfConversationCodes = {
    Unknown: 'unknown',
    CompletedSuccessfully: 'completedSuccessfully',
    UserCancelled: 'userCancelled',
    BotTimedOut: 'botTimedOut',
    BotIssuedInvalidMessage: 'botIssuedInvalidMessage',
    ChannelFailed: 'channelFailed',
  };

  // The SDK's factories keep an object as given and turn anything else
  // into the simplest object of the kind (a string button is an imBack
  // whose title and value are the string).
  const listOf = (items, convert) => (items || []).map((x) => (typeof x === 'object' ? x : convert(x)));

  // The SDK passes null, undefined and '' for "not given" alike, so the
  // optional fields are set when truthy, not when defined; the fields are
  // in the SDK's order, so that the JSON is the same too.
  function withTextAndSpeak(msg, text, speak) {
    if (text) msg.text = text;
    if (speak) msg.speak = speak;
    return msg;
  }
  const attachmentActivity = (attachmentLayout, attachments, text, speak, inputHint) =>
    withTextAndSpeak({ type: ActivityTypes.Message, attachmentLayout, attachments, inputHint: inputHint || InputHints.AcceptingInput }, text, speak);
  const signinButton = (title, value) => [{ type: ActionTypes.Signin, title, value, channelData: undefined }];

  // Plain objects rather than classes, as no one constructs them: a
  // test's vi.spyOn and vi.mock replace their members like any object's.
  const CardFactory = {
    contentTypes: {
      adaptiveCard: 'application/vnd.microsoft.card.adaptive',
      animationCard: 'application/vnd.microsoft.card.animation',
      audioCard: 'application/vnd.microsoft.card.audio',
      heroCard: 'application/vnd.microsoft.card.hero',
      receiptCard: 'application/vnd.microsoft.card.receipt',
      oauthCard: 'application/vnd.microsoft.card.oauth',
      o365ConnectorCard: 'application/vnd.microsoft.teams.card.o365connector',
      signinCard: 'application/vnd.microsoft.card.signin',
      thumbnailCard: 'application/vnd.microsoft.card.thumbnail',
      videoCard: 'application/vnd.microsoft.card.video',
    },
    adaptiveCard: (card) => ({ contentType: CardFactory.contentTypes.adaptiveCard, content: card }),
    animationCard: (title, media, buttons, other) => mediaCard(CardFactory.contentTypes.animationCard, title, media, buttons, other),
    audioCard: (title, media, buttons, other) => mediaCard(CardFactory.contentTypes.audioCard, title, media, buttons, other),
    videoCard: (title, media, buttons, other) => mediaCard(CardFactory.contentTypes.videoCard, title, media, buttons, other),
    heroCard(title, text, images, buttons, other) {
      const a = CardFactory.thumbnailCard(title, text, images, buttons, other);
      a.contentType = CardFactory.contentTypes.heroCard;
      return a;
    },
    // thumbnailCard(title, text?, images?, buttons?, other?), or without
    // the text: (title, images?, buttons?, other?).
    thumbnailCard(title, text, images, buttons, other) {
      if (typeof text !== 'string') {
        other = buttons;
        buttons = images;
        images = text;
        text = undefined;
      }
      const card = { ...other };
      if (title) card.title = title;
      if (text) card.text = text;
      if (images) card.images = CardFactory.images(images);
      if (buttons) card.buttons = CardFactory.actions(buttons);
      return { contentType: CardFactory.contentTypes.thumbnailCard, content: card };
    },
    receiptCard: (card) => ({ contentType: CardFactory.contentTypes.receiptCard, content: card }),
    o365ConnectorCard: (card) => ({ contentType: CardFactory.contentTypes.o365ConnectorCard, content: card }),
    signinCard(title, url, text) {
      const card = { buttons: signinButton(title, url) };
      if (text) card.text = text;
      return { contentType: CardFactory.contentTypes.signinCard, content: card };
    },
    // The card only: the token exchange resources are what the caller
    // got from the token service, if anything.
    oauthCard(connectionName, title, text, link, tokenExchangeResource, tokenPostResource) {
      const card = { buttons: signinButton(title, link), connectionName, tokenExchangeResource, tokenPostResource };
      if (text) card.text = text;
      return { contentType: CardFactory.contentTypes.oauthCard, content: card };
    },
    actions: (actions) => listOf(actions, (a) => ({ type: ActionTypes.ImBack, value: String(a), title: String(a), channelData: undefined })),
    images: (images) => listOf(images, (url) => ({ url })),
    media: (links) => listOf(links, (url) => ({ url })),
  };

  function mediaCard(contentType, title, media, buttons, other) {
    const card = { ...other };
    if (title) card.title = title;
    card.media = CardFactory.media(media);
    if (buttons) card.buttons = CardFactory.actions(buttons);
    return { contentType, content: card };
  }

  const MessageFactory = {
    text: (text, speak, inputHint) => {
      const msg = { type: ActivityTypes.Message, text, inputHint: inputHint || InputHints.AcceptingInput };
      if (speak) msg.speak = speak;
      return msg;
    },
    suggestedActions: (actions, text, speak, inputHint) =>
      withTextAndSpeak(
        { type: ActivityTypes.Message, inputHint: inputHint || InputHints.AcceptingInput, suggestedActions: { actions: CardFactory.actions(actions) } },
        text,
        speak,
      ),
    attachment: (attachment, text, speak, inputHint) => attachmentActivity(AttachmentLayoutTypes.List, [attachment], text, speak, inputHint),
    list: (attachments, text, speak, inputHint) => attachmentActivity(AttachmentLayoutTypes.List, attachments, text, speak, inputHint),
    carousel: (attachments, text, speak, inputHint) => attachmentActivity(AttachmentLayoutTypes.Carousel, attachments, text, speak, inputHint),
    contentUrl(url, contentType, name, text, speak, inputHint) {
      const a = { contentType, contentUrl: url };
      if (name) a.name = name;
      return attachmentActivity(AttachmentLayoutTypes.List, [a], text, speak, inputHint);
    },
  };

  const bb = {
    ActivityTypes,
    ActionTypes,
    AttachmentLayoutTypes,
    InputHints,
    TextFormatTypes,
    RoleTypes,
    EndOfConversationCodes,
    MessageFactory,
    CardFactory,
  };
  for (const name of UNAVAILABLE) {
    Object.defineProperty(bb, name, {
      get() {
        throw notAvailable(name);
      },
      // A test's vi.mock may still give the name a value of its own.
      set(v) {
        Object.defineProperty(bb, name, { value: v, writable: true, configurable: true, enumerable: true });
      },
      configurable: true,
      enumerable: false,
    });
  }
  return bb;
}

let built;
Object.defineProperty(globalThis, '__pb_botbuilder', {
  get: () => (built ??= build()),
  configurable: false,
  enumerable: false,
});
