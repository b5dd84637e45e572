"""Named column mappings for the export formats met in practice (``PRESETS``).

Metric names are canonical across presets: likes, reposts, comments, views (a retweet or a
share is a repost), so scoring never needs to know the platform. Presets for Chinese
platforms read naive times as Beijing time.

``detect_preset`` picks the preset for a file from its header (``AUTO``): the one that finds
a column for the most fields, ``generic`` on a tie, so a platform is only claimed when its own
column names are there. ``PLATFORMS`` names the platform whose ids a preset reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from monitor.collectors.base import CollectorError
from monitor.collectors.columns import (
    ColumnMapping,
    mapping_from_dict,
    normalise_header,
    overlay,
)

__all__ = [
    "AUTO",
    "PLATFORMS",
    "PRESETS",
    "ColumnMapping",
    "detect_preset",
    "mapping_from_dict",
    "overlay",
    "preset_mapping",
]

AUTO = "auto"  # not a preset: pick one per file from its header (``detect_preset``)


def _m(**metrics: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(metrics)


GENERIC = ColumnMapping(
    external_id=(
        "id",
        "post_id",
        "tweet_id",
        "comment_id",
        "mid",
        "message_id",
        "item_id",
        "guid",
        "uuid",
        "编号",
    ),
    text=(
        "text",
        "content",
        "comment",
        "body",
        "message",
        "full_text",
        "review",
        "post",
        "内容",
        "正文",
        "评论内容",
        "微博正文",
        "微博内容",
    ),
    title=("title", "headline", "subject", "标题"),
    url=("url", "link", "permalink", "permalink_url", "post_url", "href", "链接", "原文链接"),
    author=(
        "author",
        "user",
        "username",
        "user_name",
        "screen_name",
        "nickname",
        "from",
        "user.screen_name",
        "user.name",
        "作者",
        "用户名",
        "昵称",
        "发布者",
    ),
    author_reach=(
        "followers",
        "followers_count",
        "reach",
        "fans",
        "subscribers",
        "user.followers_count",
        "粉丝数",
    ),
    published=(
        "date",
        "created_at",
        "published",
        "published_at",
        "publish_time",
        "time",
        "timestamp",
        "created",
        "created_time",
        "datetime",
        "pubdate",
        "post_date",
        "发布时间",
        "时间",
        "日期",
    ),
    lang=("lang", "language", "语言"),
    metrics=_m(
        likes=("likes", "like_count", "likes_count", "favorite_count", "favorites", "点赞数"),
        reposts=(
            "reposts",
            "reposts_count",
            "shares",
            "share_count",
            "retweets",
            "retweet_count",
            "转发数",
        ),
        comments=(
            "comments",
            "comment_count",
            "comments_count",
            "replies",
            "reply_count",
            "评论数",
        ),
        views=("views", "view_count", "impressions", "阅读数", "播放量"),
    ),
)

# Exporters seen in the wild: weiboSpider / weibo-crawler / weibo-search, MediaCrawler,
# browser-plugin exports and monitoring-platform downloads (舆情 exports), Chinese and English.
WEIBO = ColumnMapping(
    external_id=(
        "mid",
        "微博id",
        "id",
        "bid",
        "微博bid",
        "mblogid",
        "note_id",
        "comment_id",
        "评论id",
        "idstr",
    ),
    text=("微博正文", "微博内容", "正文", "内容", "评论内容", "text", "content", "text_raw"),
    title=("标题", "title"),
    url=("微博链接", "原文链接", "链接", "微博地址", "url", "note_url", "link"),
    url_template="https://weibo.com/{author_id}/{external_id}",
    author=(
        "用户昵称",
        "微博作者",
        "昵称",
        "微博昵称",
        "发布者",
        "作者",
        "博主",
        "screen_name",
        "nickname",
        "user_name",
        "user.screen_name",
        "用户id",
        "user_id",
        "uid",
    ),
    author_reach=("粉丝数", "用户粉丝数", "followers_count", "followers", "user.followers_count"),
    published=(
        "发布时间",
        "发表时间",
        "发文时间",
        "创建时间",
        "日期",
        "时间",
        "created_at",
        "create_date_time",
        "create_time",
        "publish_time",
        "date",
    ),
    tz="Asia/Shanghai",
    lang=("lang",),
    metrics=_m(
        likes=(
            "点赞数",
            "赞数",
            "attitudes_count",
            "liked_count",
            "comment_like_count",
            "like_count",
            "likes",
        ),
        reposts=("转发数", "reposts_count", "shared_count", "reposts"),
        comments=("评论数", "comments_count", "sub_comment_count", "comments"),
        views=("阅读数", "阅读量", "read_count"),
    ),
    extra=MappingProxyType(
        {
            "author_id": ("user_id", "用户id", "uid", "UID", "user.idstr", "user.id"),
            "location": ("发布位置", "ip属地", "ip_location", "region_name"),
            "tool": ("发布工具", "来源", "source"),
            "retweet_id": ("retweet_id",),
        }
    ),
)

# Exactly the columns of the YouTube Spam Collection CSVs (COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS),
# plus the YouTube Data API comment-snippet names.
YOUTUBE_COMMENTS = ColumnMapping(
    external_id=("COMMENT_ID", "comment_id", "id", "commentId"),
    text=("CONTENT", "textOriginal", "textDisplay", "snippet.textOriginal", "text"),
    author=("AUTHOR", "authorDisplayName", "snippet.authorDisplayName", "author"),
    published=("DATE", "publishedAt", "snippet.publishedAt", "published_at"),
    url=("url", "link"),
    metrics=_m(
        likes=("likeCount", "snippet.likeCount", "likes"), comments=("totalReplyCount", "replies")
    ),
    extra=MappingProxyType({"video_id": ("videoId", "snippet.videoId", "video_id")}),
)

# Shaped like Tweets.csv (Twitter US Airline Sentiment), plus Twitter API v1.1 / v2 JSON names.
TWITTER = ColumnMapping(
    external_id=("tweet_id", "id_str", "id"),
    text=("text", "full_text", "tweet", "content"),
    url=("url", "tweet_url", "link"),
    url_template="https://twitter.com/{author}/status/{external_id}",
    author=("name", "screen_name", "username", "user.screen_name", "user_screen_name", "user"),
    author_reach=(
        "user.followers_count",
        "followers_count",
        "user_followers_count",
        "public_metrics.followers_count",
        "followers",
    ),
    published=("tweet_created", "created_at", "date", "timestamp"),
    lang=("lang", "language"),
    metrics=_m(
        reposts=("retweet_count", "public_metrics.retweet_count", "retweets"),
        likes=("favorite_count", "like_count", "public_metrics.like_count", "likes"),
        comments=("reply_count", "public_metrics.reply_count", "replies"),
        views=("impression_count", "public_metrics.impression_count", "views"),
    ),
    extra=MappingProxyType(
        {
            "user_timezone": ("user_timezone",),
            "location": ("tweet_location", "user.location"),
            "airline": ("airline",),
            "in_reply_to": ("in_reply_to_status_id_str", "in_reply_to_status_id"),
        }
    ),
)

# The CED (Chinese Rumor Dataset) repost/comment rows: source_id, mid, parent, uid, date, text.
CED_JSONL = ColumnMapping(
    external_id=("mid",),
    text=("text",),
    author=("uid",),
    published=("date",),
    tz="Asia/Shanghai",
    url_template="https://weibo.com/{author}/{external_id}",
    extra=MappingProxyType({"parent": ("parent",), "thread": ("source_id",)}),
)

# MediaCrawler's aweme/comment tables and the Chinese headers of Douyin monitoring exports.
DOUYIN = ColumnMapping(
    external_id=("aweme_id", "comment_id", "视频id", "作品id", "评论id", "id"),
    text=(
        "desc",
        "content",
        "视频描述",
        "作品描述",
        "视频标题",
        "作品标题",
        "评论内容",
        "内容",
        "title",
        "text",
    ),
    title=("title", "视频标题", "标题"),
    url=("aweme_url", "share_url", "视频链接", "作品链接", "链接", "url"),
    url_template="https://www.douyin.com/video/{aweme}",
    author=(
        "nickname",
        "作者昵称",
        "用户昵称",
        "用户名",
        "作者",
        "昵称",
        "author",
        "sec_uid",
        "user_id",
    ),
    author_reach=("粉丝数", "follower_count", "fans", "followers"),
    published=("create_time", "发布时间", "评论时间", "创建时间", "时间", "date"),
    tz="Asia/Shanghai",
    metrics=_m(
        likes=("liked_count", "like_count", "digg_count", "点赞数", "获赞数"),
        comments=("comment_count", "sub_comment_count", "评论数"),
        reposts=("share_count", "分享数", "转发数"),
        views=("play_count", "播放量", "播放数"),
    ),
    extra=MappingProxyType(
        {
            "aweme": ("aweme_id", "视频id", "作品id"),
            "location": ("ip_location", "ip属地"),
            "collected": ("collected_count", "收藏数"),
        }
    ),
)

# CrowdTangle / Meta Business Suite CSV exports and Graph API post JSON.
FACEBOOK = ColumnMapping(
    external_id=("Post ID", "post_id", "id", "Facebook Id"),
    text=("Message", "message", "text", "Description", "Link Text", "Image Text", "Title"),
    title=("Title", "Link Text", "name"),
    url=("URL", "Permalink", "permalink_url", "post_url", "Link", "link"),
    author=("Page Name", "Page name", "User Name", "from.name", "username", "author"),
    author_reach=("Followers at Posting", "Likes at Posting", "Page Followers", "followers"),
    published=("Post Created", "Publish time", "created_time", "Created", "time", "date"),
    lang=("lang", "language"),
    metrics=_m(
        likes=(
            "Likes",
            "Reactions",
            "reactions.summary.total_count",
            "likes.summary.total_count",
            "likes",
        ),
        comments=("Comments", "comments.summary.total_count", "comments"),
        reposts=("Shares", "shares.count", "shares"),
        views=("Post Views", "Total Views", "Impressions", "views"),
    ),
    extra=MappingProxyType(
        {"post_type": ("Type", "Post type"), "interactions": ("Total Interactions",)}
    ),
)

PRESETS: dict[str, ColumnMapping] = {
    "generic": GENERIC,
    "weibo": WEIBO,
    "youtube_comments": YOUTUBE_COMMENTS,
    "twitter": TWITTER,
    "ced_jsonl": CED_JSONL,
    "douyin": DOUYIN,
    "facebook": FACEBOOK,
}


# The platform whose row ids each preset reads (CED rows are Weibo posts); a generic file's ids
# mean nothing outside the system that exported it.
PLATFORMS: dict[str, str] = {
    "weibo": "weibo",
    "ced_jsonl": "weibo",
    "youtube_comments": "youtube",
    "twitter": "twitter",
    "douyin": "douyin",
    "facebook": "facebook",
}


def _coverage(mapping: ColumnMapping, names: frozenset[str]) -> int:
    """How many fields of ``mapping`` find a column in ``names``; 0 without a text column."""

    def found(candidates: tuple[str, ...]) -> bool:
        return any(normalise_header(c) in names for c in candidates)

    if not found(mapping.text):
        return 0
    fields = (
        mapping.external_id, mapping.title, mapping.url, mapping.author, mapping.author_reach,
        mapping.published, mapping.lang, *mapping.metrics.values(),
    )
    return 1 + sum(found(f) for f in fields)


def detect_preset(header: Iterable[str]) -> str:
    """The preset that reads most of a file with these column names (``generic`` on a tie)."""
    names = frozenset(normalise_header(h) for h in header if h)
    best, score = "generic", _coverage(GENERIC, names)
    for name, mapping in PRESETS.items():
        covered = _coverage(mapping, names)
        if covered > score:
            best, score = name, covered
    return best


def preset_mapping(*, preset: str, overrides: Mapping[str, Any] | None = None) -> ColumnMapping:
    """The named preset, with config ``overrides`` applied; unknown names raise CollectorError."""
    try:
        base = PRESETS[preset]
    except KeyError:
        raise CollectorError(
            f"unknown preset {preset!r:.60} (known: {', '.join(sorted(PRESETS))})"
        ) from None
    return base if not overrides else overlay(base, mapping_from_dict(overrides))
