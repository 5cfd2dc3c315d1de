"""Prose material for the sample portal: names, phrase pools and sentence templates.

Everything here is invented for the fictional city of 海州市 (no real people).
`compose_article` turns a topic, a date and a seeded `random.Random` into a
title, paragraphs and keywords, so the same seed always yields the same text.

Sentences are `str.format` templates. Slots such as ``{district}`` are filled
once per article (an article stays about one district, one theme, one party),
while numeric slots (``{n}``, ``{big}``, ``{pct}``, ``{yi}``) are drawn afresh
at every use so that figures differ from sentence to sentence.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

CITY = "海州"

# People, all invented. Leaders appear inside the prose; reporters and editors
# fill the byline and 责任编辑 fields.
LEADERS = {
    "sec": "市委书记陆承远",
    "mayor": "市长唐明哲",
    "dsec": "市委副书记方若溪",
    "uf": "市委常委、统战部部长何静宜",
    "cppcc": "市政协主席邵景川",
    "vmayor": "副市长钟立言",
    "npc": "市人大常委会主任葛宏涛",
    "ql": "市侨联主席温佩琳",
}

REPORTERS = [
    "许青禾", "沈一帆", "顾晓棠", "蒋子墨", "韩若萱", "姚乐天", "邹明远",
    "曹蕴之", "梁书宁", "彭晨曦", "薛瑞", "祁望舒", "贺嘉言", "严知秋",
    "柏松年", "殷悦", "钱亦舟", "戴晴川",
]

EDITORS = ["季晓风", "卢映雪", "邱景行", "任楚涵", "范立诚", "侯静姝", "常清扬", "汤若谷"]

DISTRICTS = ["东湖区", "西陵区", "滨江区", "青石区", "临港新区", "云岭县", "白沙县"]

TOWNS = [
    "望海街道", "南塘街道", "柳岸社区", "石桥镇", "龙湾镇", "溪口乡", "长亭村",
    "北仓街道", "梅园社区", "双河镇", "东岙村", "新桥社区",
]

PARTIES = [
    "民革海州市委会", "民盟海州市委会", "民建海州市委会", "民进海州市委会",
    "农工党海州市委会", "致公党海州市委会", "九三学社海州市委会", "市工商联",
]

THEMES = [
    "营商环境优化", "乡村振兴", "安全生产", "基层治理", "生态环境保护", "城市更新",
    "数字化改革", "招商引资", "民生实事", "防汛防台", "文明城市创建", "港口物流发展",
    "科技创新", "人才引育", "老旧小区改造", "养老服务体系建设",
]

UF_THEMES = [
    "新的社会阶层人士统战工作", "民族宗教工作", "港澳台统战工作", "党外知识分子工作",
    "非公有制经济人士思想政治建设", "同心实践基地建设", "党外代表人士队伍建设",
    "统战信息化建设",
]

QIAO_THEMES = [
    "侨资企业服务", "归侨侨眷权益保障", "海外侨胞联谊", "侨界人才回归",
    "“侨胞之家”建设", "侨务法规宣传",
]

POLICIES = [
    "《海州市促进民营经济高质量发展若干措施》",
    "《海州市老旧小区改造三年行动方案》",
    "《海州市人才安居实施办法》",
    "《海州市城市更新条例》",
    "《海州市基本养老服务清单》",
    "《海州市优化营商环境行动计划》",
    "《海州市生活垃圾分类管理办法》",
    "《海州市科技创新券管理办法》",
    "《海州市公共租赁住房管理办法》",
    "《海州市中小学课后服务实施意见》",
]

INDUSTRIES = ["智能制造", "海洋经济", "新材料", "数字经济", "现代物流", "生物医药", "文化旅游", "绿色石化"]

PROJECTS = [
    "临港智能装备产业园", "东湖科创走廊", "滨江生态廊道", "海州西站综合枢纽",
    "青石新材料基地", "云岭抽水蓄能电站", "白沙湾港区三期", "城市中央公园",
]

PARTNERS = ["两所高校", "省港航集团", "一家央企", "长三角三家科研院所", "市外五家龙头企业"]

GUESTS = ["省侨联调研组", "海外侨胞考察团", "省政协视察组", "港澳青年交流团", "兄弟城市代表团"]

SCENIC = ["东湖古镇", "青石山", "白沙湾", "柳岸老街", "云岭茶园", "望海楼"]

EVENTS = ["海州文化旅游节", "东湖马拉松", "非遗市集", "海鲜美食季", "读书月", "乡村音乐节"]

SOURCES = {
    "yw": ["海州日报", "海州发布", "市政府办公室"],
    "tyzx": ["市委统战部", "海州日报", "同心海州"],
    "mzdp": ["市委统战部", "民盟海州市委会", "民建海州市委会", "九三学社海州市委会"],
    "qwgz": ["市侨联", "市委统战部"],
    "zcjd": ["市政府办公室", "市发展改革委", "市司法局"],
    "tzgg": ["市政府办公室", "市人力社保局", "市住房城乡建设局"],
    "jj": ["市发展改革委", "市统计局", "市商务局", "海州日报"],
    "sh": ["海州晚报", "海州发布", "市民政局"],
    "wl": ["市文化广电旅游局", "海州晚报", "海州发布"],
    "hz": ["海州日报"],
    "qx": ["海州日报"],
}


@dataclass(frozen=True)
class Topic:
    """Templates for one kind of story: titles, opening lines, body lines, keywords."""

    titles: tuple[str, ...]
    openers: tuple[str, ...]
    lines: tuple[str, ...]
    keywords: tuple[str, ...]


TOPICS: dict[str, Topic] = {
    "yw": Topic(
        titles=(
            "{city}市委常委会召开会议研究部署{theme}工作",
            "{year}年市政府第{n}次常务会议召开",
            "{sec}赴{district}调研{theme}工作",
            "{mayor}主持召开{theme}专题会议",
            "全市{theme}工作推进会召开",
            "{city}与{partner}签署战略合作协议",
            "{district}：{theme}跑出“加速度”",
            "{year}年{city}{theme}重点任务清单发布",
        ),
        openers=(
            "{md}，{city}市委常委会召开会议，传达学习上级有关会议精神，研究部署{theme}等工作。{sec}主持会议。",
            "{md}上午，{sec}率队深入{district}{town}，实地察看{theme}推进情况，与基层干部群众面对面交流。",
            "{md}，全市{theme}工作推进会在市行政中心召开，会议总结前一阶段工作，部署下一步重点任务。",
            "{md}，{mayor}主持召开专题会议，听取{theme}工作情况汇报，研究解决推进中遇到的困难和问题。",
        ),
        lines=(
            "会议指出，做好{theme}工作事关全市发展大局，各级各部门要把思想和行动统一到市委、市政府的决策部署上来。",
            "在{town}，{sec}详细了解项目进度、资金保障和群众意见，叮嘱当地干部要把好事办实、把实事办好。",
            "据介绍，今年以来全市累计实施相关项目{n}个，完成投资{yi}，同比增长{pct}，主要指标好于预期。",
            "{mayor}强调，要坚持问题导向，对照年度目标逐项梳理，能快则快、能早则早，确保全年任务如期完成。",
            "会议审议了《{city}市{theme}工作方案（{period}）》，原则同意提交市委全会讨论。",
            "{dsec}、{vmayor}等市领导参加活动，{district}及市级有关部门负责人陪同调研。",
        ),
        keywords=("市委常委会", "常务会议", "调研", "推进会", "重点任务", "高质量发展"),
    ),
    "tyzx": Topic(
        titles=(
            "{city}召开{uftheme}座谈会",
            "市委统战工作领导小组召开{year}年第{n}次会议",
            "{uf}到{district}调研{uftheme}",
            "{district}探索{uftheme}新路径",
            "全市统战部长会议部署{year}年重点工作",
            "{city}举办{uftheme}专题培训班",
            "“同心{town}”实践基地揭牌",
        ),
        openers=(
            "{md}，{city}召开{uftheme}座谈会，听取各方意见建议，交流经验做法。{uf}出席并讲话。",
            "{md}，市委统战工作领导小组召开会议，审议有关文件，研究部署{uftheme}等重点任务。",
            "{md}，{uf}带队到{district}调研{uftheme}，走访{town}和部分非公有制企业。",
            "{md}，全市统战部长会议召开，回顾总结过去一年统一战线工作，安排部署新一年重点任务。",
        ),
        lines=(
            "会议强调，要发挥统一战线凝聚人心、汇聚力量的作用，把各方面的智慧和力量团结到全市中心工作上来。",
            "{uf}指出，领导小组成员单位要各司其职、密切配合，形成党委统一领导、统战部牵头协调、有关方面各负其责的工作格局。",
            "会上，{district}、市工商联等{n}家单位作交流发言，介绍了{uftheme}方面的经验和做法。",
            "近年来，{city}累计建成同心实践基地{n}个，联系服务党外人士{big}余人次，一批工作品牌在全省推广。",
            "会议要求，要摸清底数、分类施策，健全联谊交友、教育培训、实践锻炼、作用发挥“四位一体”的工作机制。",
            "与会人员围绕做好{uftheme}踊跃发言，提出了加强阵地建设、完善激励机制、拓宽参与渠道等建议。",
        ),
        keywords=("统一战线", "统战工作", "领导小组", "同心实践", "党外人士", "大统战格局"),
    ),
    "mzdp": Topic(
        titles=(
            "{party}开展“{theme}”专题调研",
            "{party}召开{year}年工作会议",
            "{party}举办参政议政能力提升培训班",
            "{party}赴{district}开展“同心助力”活动",
            "{party}{year}年度提案《关于加强{theme}的建议》获市领导批示",
            "{party}与{district}签订结对共建协议",
        ),
        openers=(
            "{md}，{party}组织调研组赴{district}开展{theme}专题调研，走访{town}及相关企业。",
            "{md}，{party}召开工作会议，总结上一年度工作，部署新一年参政议政和自身建设任务。",
            "{md}，{party}举办参政议政能力提升培训班，{n}名成员参加培训。",
            "{md}，{party}“同心助力”服务队来到{district}{town}，开展义诊、法律咨询等活动。",
        ),
        lines=(
            "调研组认为，{theme}既要做好顶层设计，也要打通“最后一公里”，建议进一步完善政策配套和考核机制。",
            "培训班邀请市委党校、市政协研究室专家授课，内容涵盖调查研究方法、提案撰写和社情民意信息报送等。",
            "过去一年，{party}共提交集体提案{n}件，报送社情民意信息{n}篇，其中多篇被省级以上采用。",
            "{uf}到会指导并指出，希望{party}坚持履职尽责，在服务全市中心工作中展现新作为。",
            "活动现场，服务队共接待群众{big}余人次，发放宣传资料{n}00余份，受到当地群众欢迎。",
            "双方商定，将在人才培养、产业对接、基层医疗等方面开展常态化合作，每年确定{n}个共建项目。",
        ),
        keywords=("民主党派", "参政议政", "提案", "社情民意", "同心助力", "多党合作"),
    ),
    "qwgz": Topic(
        titles=(
            "{city}召开{qtheme}工作会议",
            "{ql}会见{guest}",
            "{district}侨联开展“{qtheme}”主题活动",
            "{city}{year}年{qtheme}成效明显",
            "“侨之家”在{town}落成",
        ),
        openers=(
            "{md}，{city}召开{qtheme}工作会议，市侨联、市委统战部和各区县侨联负责人参加会议。",
            "{md}，{ql}在市侨联会见{guest}一行，双方就{qtheme}等事项深入交流。",
            "{md}，{district}侨联在{town}开展主题活动，邀请归侨侨眷代表座谈交流。",
        ),
        lines=(
            "{city}是著名侨乡，旅居海外的{city}籍侨胞约{big}人，分布在{n}个国家和地区。",
            "会议要求，要坚持为侨服务，健全涉侨矛盾纠纷化解机制，切实维护归侨侨眷合法权益。",
            "今年以来，全市侨资企业新增投资{yi}，{n}个侨资项目落地开工。",
            "{ql}表示，欢迎广大侨胞常回家乡看看，为家乡发展牵线搭桥、建言献策。",
            "座谈会上，归侨侨眷代表结合自身经历，讲述了在家乡创业、生活的感受和期盼。",
        ),
        keywords=("侨务工作", "侨联", "归侨侨眷", "海外侨胞", "侨资企业"),
    ),
    "zcjd": Topic(
        titles=(
            "一图读懂{policy}",
            "{policy}政策解读",
            "关于{policy}的问答",
            "{year}年版{policy}有哪些新变化？",
            "市{dept}负责人就{policy}答记者问",
        ),
        openers=(
            "近日，{city}市人民政府印发{policy}（以下简称《办法》）。为便于社会公众理解，现就有关内容解读如下。",
            "{md}，市政府新闻办举行新闻发布会，市{dept}负责人介绍{policy}有关情况，并回答记者提问。",
            "{policy}已于{year}年正式施行。围绕市民关心的问题，记者采访了市{dept}相关负责人。",
        ),
        lines=(
            "问：出台该文件的背景是什么？答：近年来，我市在这一领域积累了不少经验，但也存在标准不统一、流程不衔接等问题，需要从制度层面加以规范。",
            "《办法》共{n}条，明确了适用范围、职责分工、实施程序和监督管理等内容，自发布之日起施行，有效期{n}年。",
            "与原政策相比，新版本将补助标准由每户{big}元提高到每户{big}元，申请材料由{n}项精简为{n}项。",
            "符合条件的市民可通过“浙里办”海州专区或各区县政务服务中心窗口提出申请，办理时限压缩至{n}个工作日。",
            "《办法》特别明确，对困难家庭、残疾人家庭、老年人家庭等群体给予适当倾斜，补助比例最高可上浮{pct}。",
            "下一步，市{dept}将会同有关部门制定配套细则，加强政策宣传和跟踪评估，确保政策红利及时惠及群众。",
        ),
        keywords=("政策解读", "实施办法", "政务公开", "答记者问", "惠民政策"),
    ),
    "tzgg": Topic(
        titles=(
            "关于开展{year}年度{theme}专项检查的通知",
            "关于公布{year}年第{n}批{theme}示范项目名单的公告",
            "关于征求{policy}修订意见的公告",
            "市{dept}关于{year}年{theme}资金申报的通知",
            "关于{year}年{theme}工作考核结果的通报",
        ),
        openers=(
            "各区县（市）人民政府，市级各有关单位：为深入推进{theme}工作，经市政府同意，现就有关事项通知如下。",
            "根据工作安排，市{dept}组织开展了{year}年度{theme}评审工作，现将有关结果予以公告。",
            "为提高立法质量，广泛听取社会意见，现将{policy}修订草案全文公布，征求社会各界意见。",
        ),
        lines=(
            "一、工作目标：到{year}年底，全市{theme}相关工作机制更加健全，重点任务完成率达到{pct}以上。",
            "二、申报条件：申报单位应在本市依法登记注册，近三年未发生重大安全事故，且信用状况良好。",
            "三、时间安排：即日起至{md}为申报阶段，逾期不再受理；评审结果将在市政府门户网站公示{n}个工作日。",
            "四、工作要求：各单位要高度重视，明确专人负责，严格按照要求报送材料，确保材料真实、完整。",
            "联系人：市{dept}综合处，联系电话：0580-8{n}61234。",
            "公众可通过信函、电子邮件等方式反馈意见，意见征集期为{n}天。",
        ),
        keywords=("通知", "公告", "申报", "政务公开", "考核"),
    ),
    "jj": Topic(
        titles=(
            "{year}年前三季度{city}经济运行稳中向好",
            "{project}项目签约总投资{yi}",
            "{district}{industry}产业集群加速成势",
            "{city}外贸进出口总额同比增长{pct}",
            "{industry}企业{district}“抱团”出海",
            "{project}建设迎来新进展",
            "{city}出台{n}条措施支持{industry}发展",
        ),
        openers=(
            "记者从市统计局获悉，今年以来全市经济运行总体平稳、稳中有进，主要经济指标保持在合理区间。",
            "{md}，{project}项目集中签约仪式举行，{n}个项目现场签约，总投资{yi}。",
            "{md}，记者在{district}看到，多家{industry}企业生产线满负荷运转，订单排到了下半年。",
            "{md}，市商务局发布数据，今年以来全市外贸进出口实现较快增长，民营企业贡献突出。",
        ),
        lines=(
            "数据显示，全市实现地区生产总值{yi}，同比增长{pct}；规模以上工业增加值增长{pct}。",
            "其中，{industry}产业完成产值{yi}，占规上工业比重提高到{pct}，成为拉动增长的重要引擎。",
            "{vmayor}在签约仪式上表示，{city}将持续优化营商环境，为项目落地提供全周期服务。",
            "据了解，{project}总占地约{big}亩，建成后预计年产值超过{yi}，可提供就业岗位{big}个。",
            "业内人士分析，随着一批重大项目陆续投产，{city}经济的后劲将进一步增强。",
            "今年以来，{district}新增“专精特新”中小企业{n}家，高新技术企业数量同比增长{pct}。",
        ),
        keywords=("经济运行", "项目签约", "外贸", "产业集群", "营商环境", "投资"),
    ),
    "sh": Topic(
        titles=(
            "{town}“家门口”养老服务站启用",
            "{district}{n}个老旧小区改造年内完工",
            "{city}新开通{n}条公交线路",
            "{year}年{city}中小学新增学位{big}个",
            "{town}居民有了“共享书房”",
            "{district}开展夏季消防安全大排查",
            "“15分钟便民生活圈”覆盖{town}",
        ),
        openers=(
            "{md}，位于{district}{town}的养老服务站正式启用，周边老人在家门口就能享受助餐、助浴等服务。",
            "{md}，记者从市交通运输局获悉，为方便市民出行，{city}新开通和优化调整一批公交线路。",
            "{md}，在{district}{town}，施工人员正在对小区外立面、雨污管网和停车位进行改造。",
            "{md}，市教育局发布消息，今年秋季全市新建、改扩建学校{n}所，新增学位{big}个。",
        ),
        lines=(
            "“以前吃饭要自己做，现在走几步路就到食堂，一荤两素只要{n}元。”家住附近的王阿姨说。",
            "据介绍，改造内容包括加装电梯、更新管网、增设充电桩等，涉及居民{big}户。",
            "新线路开通后，沿线{n}个小区的居民出行将更加便捷，高峰时段发车间隔缩短到{n}分钟。",
            "社区工作人员介绍，书房每天开放{n}个小时，藏书{big}余册，还定期举办亲子阅读活动。",
            "截至目前，全市已建成各类便民服务网点{big}个，居民满意度达到{pct}。",
            "工作人员提醒，市民如有意见建议，可拨打12345政务服务热线反映。",
        ),
        keywords=("民生", "社区", "养老服务", "公交", "教育", "老旧小区"),
    ),
    "wl": Topic(
        titles=(
            "{year}{event}开幕",
            "{scenic}入选省级旅游度假区",
            "{scenic}“夜经济”点亮假日消费",
            "假期{city}接待游客{n}0万人次",
            "{district}非遗项目走进校园",
            "{event}吸引{big}名市民参与",
        ),
        openers=(
            "{md}，{year}{event}在{scenic}开幕，活动将持续{n}天，推出演出、展览、市集等系列活动。",
            "{md}晚，{scenic}灯火通明，游客在老街上品尝小吃、观看演出，感受{city}的烟火气。",
            "记者从市文化广电旅游局获悉，假期全市共接待游客{n}0万人次，实现旅游收入{yi}。",
        ),
        lines=(
            "开幕式上，来自各区县的文艺团队带来了渔歌、越剧、舞龙等特色节目，现场掌声不断。",
            "{scenic}负责人介绍，景区今年新增了{n}个体验项目，并与周边民宿、农家乐联合推出优惠套餐。",
            "“带孩子来看看老手艺，比在家刷手机有意思多了。”来自{district}的游客李先生说。",
            "据统计，活动期间相关商户营业额同比增长{pct}，带动周边就业{big}余人。",
            "接下来，{city}还将举办{event}等活动，进一步擦亮城市文化旅游品牌。",
        ),
        keywords=("文化旅游", "非遗", "景区", "假日经济", "夜经济", "文旅融合"),
    ),
    "paper": Topic(
        titles=(
            "{project}：一年建成一座“新城”",
            "{district}：老街巷焕发新活力",
            "{town}的“变”与“不变”",
            "{year}年{city}城市更新项目全面开工",
            "走进{project}建设一线",
            "{district}“微改造”解决“大民生”",
            "{town}：小巷总理的一天",
        ),
        openers=(
            "清晨六点，{district}{town}的街巷还带着露水，社区网格员已经开始了一天的巡查。",
            "{md}，记者来到{project}施工现场，塔吊林立，工人们正在紧张有序地作业。",
            "走进{district}{town}，白墙黛瓦、石板小路，经过改造的老街巷焕然一新。",
            "{md}，{city}城市更新项目集中开工仪式举行，{n}个项目总投资{yi}。",
        ),
        lines=(
            "“过去下雨天路面积水，现在排水管网改好了，出门再也不用蹚水。”居民张大伯笑着说。",
            "项目负责人介绍，工程采用装配式建造技术，比传统工艺缩短工期约{pct}。",
            "据了解，{district}今年计划实施“微改造”项目{n}个，涉及道路、绿化、公共空间等方面。",
            "在改造过程中，当地坚持“居民点单、政府买单”，先后召开居民议事会{n}次，收集意见建议{big}条。",
            "夜幕降临，新修的口袋公园里，跳广场舞的、散步的、下棋的居民络绎不绝。",
            "按照计划，{project}将于{period}分期建成，届时将成为{city}城市发展的新地标。",
        ),
        keywords=("城市建设", "城市更新", "微改造", "基层治理", "民生工程"),
    ),
}

# More headline wordings for the topics whose TOPICS titles a large portal uses
# up (build_portal(scale=N)); drawn only once those find no fresh title, so the
# sample portal itself never uses them.
EXTRA_TITLES: dict[str, tuple[str, ...]] = {
    "yw": (
        "{city}召开{year}年第{n}次{theme}工作例会",
        "{sec}在{district}{town}调研时强调抓实{theme}各项工作",
        "{dsec}督查{district}{theme}工作",
        "{npc}带队开展{theme}执法检查",
        "{cppcc}率队视察{project}",
        "{vmayor}主持召开{district}{theme}现场会",
    ),
    "tyzx": (
        "{district}召开{uftheme}推进会",
        "{year}年全市{uftheme}培训班在{district}开班",
        "{town}“同心驿站”开展{uftheme}活动",
        "{uf}走访{party}",
        "{party}参加{uftheme}座谈会",
    ),
    "qwgz": (
        "{district}侨联召开{year}年{qtheme}工作会议",
        "{guest}到{district}考察{qtheme}",
        "{town}开展{qtheme}主题活动",
        "{ql}走访{district}侨资企业",
        "{year}年{district}{qtheme}工作综述",
    ),
    "zcjd": (
        "{dept}：{policy}申报指南（{year}年版）",
        "解读{policy}中的{n}个关键词",
        "政策进社区：{district}宣讲{policy}",
        "{year}年{policy}实施情况评估",
        "{theme}政策问答（{year}年第{n}期）",
    ),
    "paper": (
        "{town}：{theme}的一线故事",
        "记者蹲点{town}：{theme}进行时",
        "{district}{town}：{theme}“小切口”做出“大文章”",
        "{year}年，{town}的{theme}账本",
        "{industry}企业扎根{district}的背后",
        "{project}建设者群像",
    ),
}

# Lines any government/party story may borrow, so that articles of one topic
# share some phrasing (as real ones do) without being copies of one another.
SHARED_LINES = (
    "会议强调，要坚持以人民为中心的发展思想，聚焦群众急难愁盼，把各项工作做深做细做实。",
    "各级各部门要强化责任担当，细化工作举措，建立任务清单、责任清单和问题清单，实行闭环管理。",
    "要加强统筹协调，形成上下联动、部门协同的工作合力，确保各项部署落地见效。",
    "要坚持问题导向和目标导向相结合，对标先进找差距，补齐短板强弱项。",
    "要加强督促检查，对工作推进不力、措施落实不到位的，及时通报提醒，必要时进行约谈。",
    "与会人员一致表示，将认真贯彻落实会议精神，以更加饱满的热情投入到各项工作中去。",
    "据统计，近三年来相关领域累计投入资金{yi}，惠及群众{big}余人。",
    "下一步，{city}将继续完善政策体系，推动相关工作制度化、规范化、常态化。",
    "活动期间，还组织开展了专题讲座、经验交流和现场观摩等环节，参与人员普遍反映收获很大。",
    "在实践中，各地结合实际探索形成了一批可复制、可推广的经验做法，为面上工作提供了有益借鉴。",
    "据悉，此项工作已列入{year}年{city}市政府民生实事项目，并纳入年度综合考核。",
    "相关负责人表示，将进一步畅通群众反映问题渠道，做到件件有回音、事事有着落。",
    "{district}有关负责人介绍，当地已组建工作专班，实行“一个项目、一名领导、一套班子”推进机制。",
    "今年以来，全市共开展各类宣传活动{n}场，覆盖群众{big}人次。",
    "从{period}的实施情况看，各项任务总体进展顺利，部分指标提前完成。",
    "专家指出，要把制度优势更好转化为治理效能，关键在于抓落实、见实效。",
    "会议通报了上一阶段工作进展情况，并对下一步工作作出具体安排。",
    "记者了解到，相关经验做法已在全市{n}个区县（市）推广，并得到上级部门肯定。",
    "此外，{city}还将建立定期评估机制，每半年对工作成效进行一次“回头看”。",
    "会前，与会人员还实地参观了{district}{town}的党群服务中心和新时代文明实践站。",
)

CLOSERS = (
    "{dsec}、市级有关部门主要负责人参加会议。",
    "市级有关部门和各区县（市）负责人参加会议或活动。",
    "下一步，{city}将持续跟踪问效，确保各项措施落地生根、开花结果。",
    "据悉，相关工作将于{year}年底前全面完成。",
    "各区县（市）相关负责人在分会场参加会议。",
    "本次活动由{city}市委宣传部、市文明办联合主办。",
    "（图文由相关单位提供）",
    "记者将持续关注相关进展。",
)

DEPTS = ["发展改革委", "住房城乡建设局", "民政局", "教育局", "人力社保局", "司法局", "商务局", "卫生健康委"]


class _Slots(dict):
    """Slot values for one article: topical slots fixed, numeric slots fresh each use."""

    FRESH = ("n", "big", "pct", "yi")

    def __init__(self, rng: random.Random, when: dt.datetime):
        super().__init__()
        self.rng = rng
        self.when = when
        end_year = min(when.year + rng.choice((1, 2, 2, 3)), 2027)
        self.update(
            city=CITY,
            year=str(when.year),
            md=f"{when.month}月{when.day}日",
            period=f"{when.year}—{end_year}年",
            **LEADERS,
        )

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key == "n":
            return str(rng.randint(2, 48))
        if key == "big":
            return f"{rng.randint(1, 98):d},{rng.randint(0, 999):03d}"
        if key == "pct":
            return f"{rng.randint(1, 29)}.{rng.randint(1, 9)}%"
        if key == "yi":
            return f"{rng.randint(2, 480)}.{rng.randint(1, 9)}亿元"
        pool = {
            "district": DISTRICTS, "town": TOWNS, "party": PARTIES, "theme": THEMES,
            "uftheme": UF_THEMES, "qtheme": QIAO_THEMES, "policy": POLICIES,
            "industry": INDUSTRIES, "project": PROJECTS, "partner": PARTNERS,
            "guest": GUESTS, "scenic": SCENIC, "event": EVENTS, "dept": DEPTS,
        }[key]
        value = rng.choice(pool)
        self[key] = value
        return value


def _fill(template: str, slots: _Slots) -> str:
    return template.format_map(slots)


def _paragraph(first: str, pool: list[str], slots: _Slots, rng: random.Random) -> str:
    """Join sentences into one paragraph of roughly 60 to 250 characters."""
    text = _fill(first, slots)
    while len(text) < 60:
        # A drained pool borrows a shared line rather than leave a stub paragraph.
        text += _fill(pool.pop() if pool else rng.choice(SHARED_LINES), slots)
    while pool and len(text) < 150 and rng.random() < 0.45:
        extra = _fill(pool[-1], slots)
        if len(text) + len(extra) > 250:
            break
        text += extra
        pool.pop()
    return text


@dataclass(frozen=True)
class Story:
    """The prose of one article."""

    title: str
    paragraphs: tuple[str, ...]
    keywords: tuple[str, ...]


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """Chinese numerals as series titles write them, up to 99; digits beyond.

    >>> [_chinese_number(n) for n in (2, 10, 14, 20, 37, 120)]
    ['二', '十', '十四', '二十', '三十七', '120']
    """
    if not 0 < n < 100:
        return str(n)
    tens, units = divmod(n, 10)
    return (_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "") + (_DIGITS[units] if units else "")


def series_title(title: str, taken: set[str]) -> str:
    """`title` as the next part of a numbered series not in `taken`: 标题（之二）, （之三）…

    How a portal titles its recurring reports once a topic's wordings are used up.

    >>> series_title("走进东湖科创走廊建设一线", {"走进东湖科创走廊建设一线（之二）"})
    '走进东湖科创走廊建设一线（之三）'
    """
    n = 2
    while f"{title}（之{_chinese_number(n)}）" in taken:
        n += 1
    return f"{title}（之{_chinese_number(n)}）"


def compose_article(topic_key: str, when: dt.datetime, rng: random.Random, taken: set[str],
                    attempts: int = 200) -> Story:
    """Compose a story for `topic_key` dated `when`, with a title not in `taken`.

    The caller passes the set of titles already used; the new title is added to it.
    When `attempts` draws find no fresh title (a large portal uses up a topic's
    wordings), as many are drawn from the topic's `EXTRA_TITLES`; when those are
    used up too, the last title drawn becomes the next part of a numbered series.
    """
    topic = TOPICS[topic_key]
    fresh = False
    for templates in (topic.titles, EXTRA_TITLES.get(topic_key, ())):
        for _attempt in range(attempts if templates else 0):
            slots = _Slots(rng, when)
            title = _fill(rng.choice(templates), slots)
            if title not in taken:
                fresh = True
                break
        if fresh:
            break
    if not fresh:
        title = series_title(title, taken)
    taken.add(title)

    lines = list(topic.lines) + rng.sample(SHARED_LINES, 12)
    rng.shuffle(lines)
    count = rng.randint(3, 8)
    paragraphs = [_paragraph(rng.choice(topic.openers), lines, slots, rng)]
    while len(paragraphs) < count - 1 and len(lines) >= 2:
        first = lines.pop()
        paragraphs.append(_paragraph(first, lines, slots, rng))
    paragraphs.append(_paragraph(rng.choice(CLOSERS), lines, slots, rng))

    keywords = [rng.choice(topic.keywords)]
    for key in ("district", "party", "uftheme", "qtheme", "theme", "project", "industry", "scenic"):
        if key in slots and len(keywords) < 4:
            # Quotes and book-title marks are not part of a keyword.
            keywords.append(re.sub("[“”《》]", "", slots[key]))
    if len(keywords) < 2:
        keywords.append(CITY + "市")
    if rng.random() < 0.3 and len(keywords) < 5:
        extra = rng.choice(topic.keywords)
        if extra not in keywords:
            keywords.append(extra)
    return Story(title=title, paragraphs=tuple(paragraphs), keywords=tuple(keywords))
