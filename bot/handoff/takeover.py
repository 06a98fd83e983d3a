"""A staff member's side of a taken-over conversation: replies that reach the resident in the channel
they used, and the hand-back to the assistant. Channel-free: WeChat's customer-service sender and the
call that resumes the bot in Rasa are passed in.

- web chat: a reply is stored; the resident's page is waiting on our channel's long-poll for it
  (bot/channels/webchat.py), so storing is sending.
- WeChat: a reply goes out through the customer-service API, which WeChat allows only within 48 hours
  of the resident's latest message; after that we refuse before trying, and say why.
- any other channel (the REST channel is for programs): refused, with the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Awaitable, Callable, Optional

from bot.edge import channel_sender
from bot.handoff.model import AssistantUnavailable, Author, CannotReply, HandoffMessage, HandoffRequest, InvalidReply
from bot.handoff.service import HandoffService
from bot.inputs import InputRefused, clean_text
from bot.leads.model import Staff
from bot.privacy import mask_pii
from bot.wechat import WeChatApiError

logger = logging.getLogger("jiuzhu.handoff")

WEB_CHAT = "webchat"
WECHAT = "wechat"
# WeChat's rule for customer-service messages (a platform limit, not a policy figure): only within 48
# hours of the user's latest message to the account. errcode 45015 is WeChat saying so itself.
WECHAT_WINDOW = dt.timedelta(hours=48)
WECHAT_OUT_OF_WINDOW = 45015
MAX_REPLY_CHARS = 1000
HANDED_BACK = "工作人员已结束本次人工服务，接下来由智能助手继续为您解答。还需要找工作人员，请再说“转人工”。"

SendText = Callable[[str, str], Awaitable[None]]  # (open_id, text)
Resume = Callable[[str], Awaitable[None]]  # (conversation_id)


class Takeover:
    def __init__(self, service: HandoffService, resume: Resume, wechat_send: Optional[SendText] = None) -> None:
        self._service = service
        self._resume = resume
        self._wechat_send = wechat_send

    async def reply(self, handoff_id: int, staff: Staff, text: str) -> HandoffMessage:
        # Who may write here first: an outsider learns nothing from how their text is judged.
        handoff = await asyncio.to_thread(self._service.replyable, handoff_id, staff)
        try:
            text = clean_text(text, max_length=MAX_REPLY_CHARS)
        except InputRefused as refused:
            raise InvalidReply(f"text: {refused.reason}", f"回复内容{refused.message_zh}") from refused
        if not text:
            raise InvalidReply("text: empty", "回复内容不能为空")
        await self._deliver(handoff, text)
        message = await asyncio.to_thread(self._service.record, handoff, Author.staff, text, staff)
        logger.info("staff %s replied in handoff %s (channel=%s)", staff.id, handoff.id, handoff.channel)
        return message

    async def hand_back(self, handoff_id: int, staff: Staff) -> HandoffRequest:
        """Rasa first: if it is unreachable the request stays open and the staff member can retry."""
        handoff, _ = await asyncio.to_thread(self._service.get, handoff_id, staff)
        if not handoff.is_open:
            return await asyncio.to_thread(self._service.hand_back, handoff_id, staff)  # refused, with the reason
        try:
            await self._resume(handoff.conversation_id)
        except Exception as error:  # noqa: BLE001 - Rasa down or refusing: nothing changed, retry later
            logger.warning("handoff %s not handed back: the assistant did not resume (%s)", handoff.id, error)
            raise AssistantUnavailable(
                f"Rasa did not resume the conversation: {type(error).__name__}",
                "智能助手暂时没能恢复应答，对话仍由您接手；请稍后再点“交还智能助手”。",
            ) from error
        handoff = await asyncio.to_thread(self._service.hand_back, handoff_id, staff)
        try:
            await self._deliver(handoff, HANDED_BACK)
        except CannotReply as refused:  # the hand-back stands; the resident just is not told
            logger.info("handoff %s handed back without telling the resident: %s", handoff.id, refused)
        else:
            await asyncio.to_thread(self._service.record, handoff, Author.system, HANDED_BACK)
        return handoff

    async def _deliver(self, handoff: HandoffRequest, text: str) -> None:
        if handoff.channel == WEB_CHAT:
            return  # stored by the caller: the page's long-poll picks it up
        if handoff.channel == WECHAT:
            await self._send_wechat(handoff, text)
            return
        raise CannotReply(
            f"channel {handoff.channel!r} cannot carry a staff reply",
            f"这段对话来自“{handoff.channel}”渠道，无法在这里回复；请通过其他方式联系居民。",
        )

    async def _send_wechat(self, handoff: HandoffRequest, text: str) -> None:
        last = handoff.last_heard_at or handoff.requested_at
        if self._service.now() - last > WECHAT_WINDOW:
            raise _out_of_window()
        if self._wechat_send is None:
            raise CannotReply(
                "WeChat customer-service API not configured (JIUZHU_WECHAT_APP_ID / APP_SECRET)",
                "微信公众号的客服消息接口没有配置（AppID/AppSecret），无法回复；请联系系统管理员。",
            )
        try:
            # The conversation is `wechat:<openid>`; a request filed before ids were namespaced is the openid.
            open_id = channel_sender(handoff.conversation_id, WECHAT) or handoff.conversation_id
            await self._wechat_send(open_id, text)
        except WeChatApiError as error:
            if error.errcode == WECHAT_OUT_OF_WINDOW:
                raise _out_of_window() from error
            logger.warning("WeChat refused a staff reply in handoff %s: %s", handoff.id, mask_pii(str(error)))
            raise CannotReply(str(error), f"微信没有接收这条回复（错误码 {error.errcode}），请稍后再试。") from error
        except Exception as error:  # noqa: BLE001 - network: the staff member may retry
            logger.warning("a staff reply in handoff %s did not reach WeChat: %s", handoff.id, type(error).__name__)
            raise CannotReply(
                f"WeChat unreachable: {type(error).__name__}", "暂时连不上微信，这条回复没有发出，请稍后再试。"
            ) from error


def _out_of_window() -> CannotReply:
    return CannotReply(
        "WeChat allows customer-service messages only within 48 hours of the user's latest message",
        "居民最后一条消息已超过48小时，微信不允许再向其发送消息；请通过电话等其他方式联系，或等居民再次留言。",
    )
