"""The hub format: OpenAI Chat Completions, the one shape every dialect translates to and from.

A client's request body is a `ChatRequest`; a dialect's `build_request` turns it into the
upstream's request, its `parse_response` turns a whole answer into a `ChatCompletion` and its
`StreamDecoder` turns a stream into `ChatCompletionChunk`s
(https://platform.openai.com/docs/api-reference/chat).
The translators build and read plain dicts; these TypedDicts write down which keys those dicts
may carry. Fields beyond OpenAI's own, and where each comes from and goes to (the OpenAI
passthrough, translators/openai.py, sends every field on as the client gave it):

- `reasoning_content` (assistant message, delta): the model's reasoning text. From Anthropic
  `thinking` blocks, Gemini `thought: true` parts, Responses reasoning summaries and text. Sent
  back to no upstream: Anthropic takes earlier thinking only signed (`thinking_blocks`), Gemini
  takes no thoughts as input, Responses only its own encrypted reasoning items.
- `refusal` (assistant message, delta; OpenAI's own field, filled by more dialects): from
  Anthropic's `stop_details.explanation` and Responses `refusal` parts. Sent back to Responses
  as a refusal part; Anthropic and Gemini drop it (the content already says it).
- `thinking_blocks` (assistant message, delta): Anthropic's thinking blocks as they must be
  replayed with extended thinking and tool use. From Anthropic answers; sent back to Anthropic
  as the first content blocks of the assistant turn. Gemini and Responses drop it: their
  upstreams cannot check Anthropic's signatures and have no input that carries them.
- `extra_content.google.thought_signature` (tool call, tool-call delta): Gemini's thought
  signature, where Gemini's own OpenAI-compatible endpoint puts it. From a Gemini
  `functionCall` part's `thoughtSignature`; sent back to Gemini on that call; others ignore it.
- `top_k` (request): sampling from the k likeliest tokens; Gemini's `topK`. Other dialects do
  not know it, and their `ignored_fields` names it.

`thinking_blocks`, exactly. In a `chat.completion`, `message.thinking_blocks` lists the answer's
thinking in upstream order, each entry `{"type": "thinking", "thinking": <text>, "signature":
<signature>}` or `{"type": "redacted_thinking", "data": <encrypted data>}`; `reasoning_content`
is the `thinking` texts joined. In a stream the text still arrives as `delta.reasoning_content`;
when a thinking block ends, a delta `{"thinking_blocks": [{"index": i, "type": "thinking",
"signature": <signature>}]}` says: the reasoning text streamed since the previous `thinking`
entry (or since the start) is block i, closed by this signature ("" when the upstream sent
none, so that the blocks around it stay apart). A redacted block arrives whole
as `{"thinking_blocks": [{"index": i, "type": "redacted_thinking", "data": <data>}]}` when it
starts. `index` is the entry's place in the assembled `thinking_blocks` list, counted over both
types, so clients that merge list deltas by index (as the openai SDK does for `tool_calls`)
keep one entry per block. To replay, a client sends the assembled list, each entry with its
text, signature or data unchanged, on the assistant message that made the tool calls; keys other
than those of the two entry shapes (such as a stream's `index`) are not sent upstream.
"""

# No `from __future__ import annotations` here: evaluated annotations let `Required` and
# `NotRequired` reach `__required_keys__`, which the tests read to hold translator output to
# these types.
from typing import Any, Literal, NotRequired, Required, TypedDict

__all__ = [
    "AllowedTools",
    "AllowedToolsChoice",
    "AssistantAudio",
    "AssistantMessage",
    "AudioPart",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "Choice",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionMessage",
    "CompletionTokensDetails",
    "ContentPart",
    "Delta",
    "DeveloperMessage",
    "ExtraContent",
    "FileData",
    "FilePart",
    "FinishReason",
    "FunctionCall",
    "FunctionCallDelta",
    "FunctionDefinition",
    "FunctionName",
    "GoogleExtra",
    "ImagePart",
    "ImageURL",
    "InputAudio",
    "JSONObjectFormat",
    "JSONSchema",
    "JSONSchemaFormat",
    "Message",
    "NamedToolChoice",
    "PromptTokensDetails",
    "ReasoningEffort",
    "RedactedThinkingBlock",
    "RedactedThinkingBlockDelta",
    "RefusalPart",
    "ResponseFormat",
    "StreamOptions",
    "SystemMessage",
    "TextFormat",
    "TextPart",
    "ThinkingBlock",
    "ThinkingBlockDelta",
    "ThinkingBlockEnd",
    "ThinkingEntry",
    "TokenLogprob",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "ToolChoice",
    "ToolMessage",
    "TopLogprob",
    "Usage",
    "UserMessage",
]

# --- content parts --------------------------------------------------------------------------


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImageURL(TypedDict, total=False):
    url: Required[str]  # an http(s) URL or a data: URL
    detail: Literal["auto", "low", "high", "original"]


class ImagePart(TypedDict):
    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(TypedDict):
    data: str  # base64
    format: Literal["wav", "mp3"]


class AudioPart(TypedDict):
    type: Literal["input_audio"]
    input_audio: InputAudio


class FileData(TypedDict, total=False):
    file_data: str  # a base64 data: URL
    file_id: str
    filename: str


class FilePart(TypedDict):
    type: Literal["file"]
    file: FileData


class RefusalPart(TypedDict):
    type: Literal["refusal"]
    refusal: str


ContentPart = TextPart | ImagePart | AudioPart | FilePart

# --- tool calls and thinking ----------------------------------------------------------------


class FunctionCall(TypedDict):
    name: str
    arguments: str  # a JSON object, as a string


class GoogleExtra(TypedDict, total=False):
    thought_signature: str


class ExtraContent(TypedDict, total=False):
    google: GoogleExtra


class ToolCall(TypedDict, total=False):
    id: Required[str]
    type: Required[Literal["function"]]
    function: Required[FunctionCall]
    extra_content: ExtraContent  # Gemini's thought signature, see the module docstring


class ThinkingBlock(TypedDict):
    """One Anthropic thinking block: its text and the signature that vouches for it."""

    type: Literal["thinking"]
    thinking: str
    signature: str


class RedactedThinkingBlock(TypedDict):
    """Thinking Anthropic's safety systems encrypted: only the data, to be sent back as is."""

    type: Literal["redacted_thinking"]
    data: str


ThinkingEntry = ThinkingBlock | RedactedThinkingBlock

# --- request --------------------------------------------------------------------------------


class SystemMessage(TypedDict, total=False):
    role: Required[Literal["system"]]
    content: Required[str | list[TextPart]]
    name: str


class DeveloperMessage(TypedDict, total=False):
    role: Required[Literal["developer"]]
    content: Required[str | list[TextPart]]
    name: str


class UserMessage(TypedDict, total=False):
    role: Required[Literal["user"]]
    content: Required[str | list[ContentPart]]
    name: str


class AssistantAudio(TypedDict):
    id: str


class AssistantMessage(TypedDict, total=False):
    """An earlier answer in the history; `content` may be null when it only called tools."""

    role: Required[Literal["assistant"]]
    content: str | list[TextPart | RefusalPart] | None
    name: str
    refusal: str | None
    tool_calls: list[ToolCall]
    audio: AssistantAudio | None
    function_call: FunctionCall | None  # deprecated by OpenAI; refused unless null
    reasoning_content: str  # extension
    thinking_blocks: list[ThinkingEntry]  # extension


class ToolMessage(TypedDict):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


Message = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: dict[str, Any]  # JSON Schema; absent means no parameters
    strict: bool


class Tool(TypedDict):
    type: Literal["function"]
    function: FunctionDefinition


class FunctionName(TypedDict):
    name: str


class NamedToolChoice(TypedDict):
    type: Literal["function"]
    function: FunctionName


class AllowedTools(TypedDict):
    mode: Literal["auto", "required"]
    tools: list[NamedToolChoice]


class AllowedToolsChoice(TypedDict):
    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice | AllowedToolsChoice


class StreamOptions(TypedDict, total=False):
    include_usage: bool
    include_obfuscation: bool


class JSONSchema(TypedDict, total=False):
    name: Required[str]
    description: str
    schema: dict[str, Any]
    strict: bool


class TextFormat(TypedDict):
    type: Literal["text"]


class JSONObjectFormat(TypedDict):
    type: Literal["json_object"]


class JSONSchemaFormat(TypedDict):
    type: Literal["json_schema"]
    json_schema: JSONSchema


ResponseFormat = TextFormat | JSONObjectFormat | JSONSchemaFormat

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]


class ChatRequest(TypedDict, total=False):
    """A chat completion request body: the fields some dialect maps, drops or refuses."""

    model: Required[str]
    messages: Required[list[Message]]
    stream: bool | None
    stream_options: StreamOptions | None
    max_completion_tokens: int | None
    max_tokens: int | None  # OpenAI's deprecated alias; both set must agree
    reasoning_effort: ReasoningEffort | None
    response_format: ResponseFormat
    verbosity: Literal["low", "medium", "high"] | None
    tools: list[Tool]
    tool_choice: ToolChoice
    parallel_tool_calls: bool
    temperature: float | None
    top_p: float | None
    top_k: int  # extension: Gemini's topK
    stop: str | list[str] | None
    n: int | None
    seed: int | None
    frequency_penalty: float | None
    presence_penalty: float | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    top_logprobs: int | None
    modalities: list[Literal["text", "audio"]] | None
    audio: dict[str, Any] | None
    prediction: dict[str, Any] | None
    web_search_options: dict[str, Any]
    user: str
    safety_identifier: str
    metadata: dict[str, str] | None
    store: bool | None
    service_tier: str | None
    prompt_cache_key: str
    prompt_cache_retention: str | None
    functions: list[FunctionDefinition]  # deprecated by OpenAI; refused unless empty
    function_call: Any  # deprecated by OpenAI; refused unless null


# --- answers --------------------------------------------------------------------------------

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class PromptTokensDetails(TypedDict):
    cached_tokens: int
    # Extension: prompt tokens written to a cache (Anthropic's cache_creation_input_tokens).
    cache_write_tokens: NotRequired[int]


class CompletionTokensDetails(TypedDict):
    reasoning_tokens: int


class Usage(TypedDict):
    """Token counts; reasoning tokens are part of `completion_tokens`, cached part of prompt."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails
    completion_tokens_details: CompletionTokensDetails


class TopLogprob(TypedDict):
    token: str
    logprob: float
    bytes: list[int] | None


class TokenLogprob(TypedDict):
    token: str
    logprob: float
    bytes: list[int] | None
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(TypedDict):
    content: list[TokenLogprob] | None
    refusal: list[TokenLogprob] | None


class CompletionMessage(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    content: Required[str | None]
    refusal: str | None
    tool_calls: list[ToolCall]
    reasoning_content: str  # extension
    thinking_blocks: list[ThinkingEntry]  # extension


class Choice(TypedDict):
    index: int
    message: CompletionMessage
    finish_reason: FinishReason
    logprobs: ChoiceLogprobs | None


class ChatCompletion(TypedDict):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str  # the model the client asked for
    choices: list[Choice]
    usage: NotRequired[Usage]  # left out when the upstream reported none


# --- stream ---------------------------------------------------------------------------------


class FunctionCallDelta(TypedDict, total=False):
    name: str
    arguments: str  # a fragment; the fragments of one call join into a JSON object


class ToolCallDelta(TypedDict, total=False):
    """A call's first delta carries id, type and name; later ones argument fragments."""

    index: Required[int]
    id: str
    type: Literal["function"]
    function: FunctionCallDelta
    extra_content: ExtraContent


class ThinkingBlockEnd(TypedDict):
    """The end of thinking block `index`: its text is the reasoning streamed since the last one."""

    index: int
    type: Literal["thinking"]
    signature: str


class RedactedThinkingBlockDelta(TypedDict):
    index: int
    type: Literal["redacted_thinking"]
    data: str


ThinkingBlockDelta = ThinkingBlockEnd | RedactedThinkingBlockDelta


class Delta(TypedDict, total=False):
    role: Literal["assistant"]
    content: str | None
    refusal: str | None
    tool_calls: list[ToolCallDelta]
    reasoning_content: str  # extension
    thinking_blocks: list[ThinkingBlockDelta]  # extension


class ChunkChoice(TypedDict):
    index: int
    delta: Delta
    finish_reason: FinishReason | None
    logprobs: ChoiceLogprobs | None


class ChatCompletionChunk(TypedDict):
    """One stream event; the usage chunk that ends a stream has no choices."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: NotRequired[Usage]
